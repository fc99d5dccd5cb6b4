extension TicketHistory {
    private enum Tag: UInt8 {
        case state = 1, tier, reply, acceptance, plan, followUp, complexSince, gradeOneSince
    }

    /// The history's events as compact bytes: everything but the fields a ticket row holds itself
    /// (receipt time, type, urgency, state, tier).
    ///
    /// A pure function of the history, so every site stores the same bytes; read back with
    /// `init(receivedAt:type:urgency:state:tier:events:)`. Format: a version byte, then per event a
    /// tag byte, the time as 8 bytes little-endian, and for states the raw value (length byte + UTF-8),
    /// for tiers the tier as 8 bytes.
    package var events: [UInt8] {
        var bytes: [UInt8] = [1]
        bytes.reserveCapacity(1 + 17 * (states.count + tiers.count + replies.count + acceptances.count + 2))
        func put(_ tag: Tag, _ at: Int64) {
            bytes.append(tag.rawValue)
            withUnsafeBytes(of: at.littleEndian) { bytes.append(contentsOf: $0) }
        }
        for event in states {
            put(.state, event.at)
            let raw = Array(event.value.rawValue.utf8.prefix(255))
            bytes.append(UInt8(raw.count))
            bytes.append(contentsOf: raw)
        }
        for event in tiers {
            put(.tier, event.at)
            withUnsafeBytes(of: Int64(event.value).littleEndian) { bytes.append(contentsOf: $0) }
        }
        for at in replies { put(.reply, at) }
        for at in acceptances { put(.acceptance, at) }
        for at in plans { put(.plan, at) }
        for at in followUps { put(.followUp, at) }
        if let complexSince { put(.complexSince, complexSince) }
        if let gradeOneSince { put(.gradeOneSince, gradeOneSince) }
        return bytes
    }

    /// Rebuilds a history from a ticket's row fields and the bytes of `events`; nil when they are malformed.
    package init?(receivedAt: Int64, type: String, urgency: String, state: TicketState, tier: Int?, events: [UInt8]) {
        guard events.first == 1 else { return nil }
        var index = 1
        func int64() -> Int64? {
            guard index + 8 <= events.count else { return nil }
            var value: Int64 = 0
            for offset in (0..<8).reversed() { value = value << 8 | Int64(events[index + offset]) }
            index += 8
            return value
        }
        var history = TicketHistory(receivedAt: receivedAt, type: type, urgency: urgency, state: state, tier: tier)
        while index < events.count {
            guard let tag = Tag(rawValue: events[index]) else { return nil }
            index += 1
            guard let at = int64() else { return nil }
            switch tag {
            case .state:
                guard index < events.count else { return nil }
                let length = Int(events[index])
                index += 1
                guard index + length <= events.count else { return nil }
                let raw = String(decoding: events[index..<index + length], as: UTF8.self)
                index += length
                // A state this build does not know is skipped, as when the history is read from the log.
                if let value = TicketState(rawValue: raw) { history.states.append(.init(at: at, value: value)) }
            case .tier:
                guard let tier = int64() else { return nil }
                history.tiers.append(.init(at: at, value: Int(tier)))
            case .reply: history.replies.append(at)
            case .acceptance: history.acceptances.append(at)
            case .plan: history.plans.append(at)
            case .followUp: history.followUps.append(at)
            case .complexSince: history.complexSince = at
            case .gradeOneSince: history.gradeOneSince = at
            }
        }
        self = history
    }
}
