import Foundation

/// A set of SLA targets (R3.1, R3.2): replicated data, editable per organisation.
///
/// All durations are minutes of counted time (see `ClockTime`). A policy is stored as
/// `slaPolicy` records, one replicated field per knob (`fieldNames`), laid over the defaults
/// of `standard`, so two sites editing different knobs offline both keep their edit.
package struct SLAPolicy: Sendable, Equatable, Codable {
    /// Targets for one urgency level.
    package struct Level: Sendable, Equatable, Codable {
        /// First customer-visible reply due within (minutes since receipt).
        package var firstResponse: Int
        /// Next customer-visible update due within (minutes since the last one) while the ticket is open.
        package var update: Int

        package init(firstResponse: Int, update: Int) {
            self.firstResponse = firstResponse
            self.update = update
        }
    }

    package var name: String
    /// What people call the levels in this policy, e.g. `urgent → high`.
    package var label: String
    /// Targets per urgency (`Urgency.rawValue`).
    package var levels: [String: Level]
    /// nil: the clocks run around the clock.
    package var calendar: BusinessCalendar?
    /// Whether customer-facing clocks stand still while the ticket is `pending-customer` (R3.4).
    package var pauseOnPending: Bool
    /// Share of the target (percent) after which a running clock is at risk.
    package var atRiskPercent: Int
    /// A complex ticket reaches tier 2 within (minutes since it was marked complex).
    package var escalateComplex: Int
    /// Tier 2/3 accepts an assignment with an ETA within (minutes since the assignment).
    package var accept: Int
    /// Resolution targets per request type or category (minutes since receipt), e.g. `complaint → 1440`.
    package var resolution: [String: Int]
    /// A severe complaint (complaint with a grade-1 exception) gets a plan within (minutes since receipt).
    package var severePlan: Int
    /// Upper bound on the update interval of a severe complaint ("daily updates").
    package var severeUpdate: Int
    /// A reopened ticket gets a new plan within (minutes since reopening).
    package var reopenPlan: Int
    /// Follow-up contact within (minutes since resolution).
    package var followUp: Int
    /// A ticket is registered within (wall-clock minutes since the request was received, R1.2).
    package var registration: Int = 30

    /// The first standard: urgent 2 h / every 2 h, important 4 h / 4 h, normal 8 h / 4 h; around the clock.
    package static let standard = SLAPolicy(
        name: "standard", label: "urgent / important / normal",
        levels: [
            "urgent": Level(firstResponse: 120, update: 120), "important": Level(firstResponse: 240, update: 240),
            "normal": Level(firstResponse: 480, update: 240),
        ],
        calendar: nil, pauseOnPending: true, atRiskPercent: 75, escalateComplex: 30, accept: 60,
        resolution: ["complaint": 1440], severePlan: 2880, severeUpdate: 1440, reopenPlan: 1440, followUp: 1440)

    /// The second standard: high 2 h, medium 24 h, low 72 h (urgent, important, normal are high, medium, low).
    package static let tiered: SLAPolicy = {
        var policy = standard
        policy.name = "tiered"
        policy.label = "high / medium / low"
        policy.levels = [
            "urgent": Level(firstResponse: 120, update: 120), "important": Level(firstResponse: 1440, update: 1440),
            "normal": Level(firstResponse: 4320, update: 4320),
        ]
        return policy
    }()

    /// The built-in policies by name; replicated `slaPolicy` records are laid over them.
    package static let builtIn: [String: SLAPolicy] = ["standard": standard, "tiered": tiered]

    /// The policy a new name starts from.
    package static func base(named name: String) -> SLAPolicy {
        var policy = builtIn[name] ?? standard
        policy.name = name
        return policy
    }

    package init(
        name: String, label: String, levels: [String: Level], calendar: BusinessCalendar?, pauseOnPending: Bool,
        atRiskPercent: Int, escalateComplex: Int, accept: Int, resolution: [String: Int], severePlan: Int,
        severeUpdate: Int, reopenPlan: Int, followUp: Int, registration: Int = 30
    ) {
        self.name = name
        self.label = label
        self.levels = levels
        self.calendar = calendar
        self.pauseOnPending = pauseOnPending
        self.atRiskPercent = atRiskPercent
        self.escalateComplex = escalateComplex
        self.accept = accept
        self.resolution = resolution
        self.severePlan = severePlan
        self.severeUpdate = severeUpdate
        self.reopenPlan = reopenPlan
        self.followUp = followUp
        self.registration = registration
    }

    /// Checks a policy name: 1–32 of a–z, 0–9, `-`.
    package static func validateName(_ name: String) throws(DomainError) -> String {
        let lower = name.lowercased()
        guard (1...32).contains(lower.count), lower.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw .invalidValue(field: "policy", value: name, rule: "must be 1–32 of a–z, 0–9 and '-'")
        }
        return lower
    }

    /// The targets for an urgency; an unknown level falls back to `normal`'s, then to 8 h / 4 h.
    package func level(_ urgency: String) -> Level {
        levels[urgency] ?? levels["normal"] ?? Level(firstResponse: 480, update: 240)
    }

    /// The resolution target for a request type: the most specific of `type`, then its category.
    package func resolutionTarget(type: String) -> Int? {
        if let exact = resolution[type] { return exact }
        guard let slash = type.utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        return resolution[String(type[..<slash])]
    }

    // MARK: Replicated fields

    /// Replicated field names of the fixed knobs; `firstResponse.LEVEL`, `update.LEVEL` and
    /// `resolution.TYPE` are open-ended.
    package static let scalarFields = [
        "label", "calendar", "pauseOnPending", "atRiskPercent", "escalateComplex", "accept", "severePlan",
        "severeUpdate", "reopenPlan", "followUp", "registration",
    ]

    /// The policy with one replicated field applied; unknown or malformed fields are ignored, so a
    /// newer site's knobs never break an older one.
    package func applying(field: String, text: String?, int: Int64?) -> SLAPolicy {
        var copy = self
        let minutes = int.map { Int(clamping: $0) }
        // A received value goes through the same bound as typed input (1 minute to 365 days), so no
        // peer's policy can overflow the clock arithmetic; out of range counts as malformed.
        func positive(_ value: Int?) -> Int? { value.flatMap { (1...525_600).contains($0) ? $0 : nil } }
        switch field {
        case "label": if let text { copy.label = text }
        case "calendar":
            if let text, let data = text.data(using: .utf8), let calendar = try? JSONDecoder().decode(BusinessCalendar.self, from: data),
                (try? calendar.validate()) != nil
            {
                copy.calendar = calendar
            } else if text == nil || text == "" {
                copy.calendar = nil
            }
        case "pauseOnPending": if let minutes { copy.pauseOnPending = minutes != 0 }
        case "atRiskPercent": if let value = positive(minutes), value <= 100 { copy.atRiskPercent = value }
        case "escalateComplex": if let value = positive(minutes) { copy.escalateComplex = value }
        case "accept": if let value = positive(minutes) { copy.accept = value }
        case "severePlan": if let value = positive(minutes) { copy.severePlan = value }
        case "severeUpdate": if let value = positive(minutes) { copy.severeUpdate = value }
        case "reopenPlan": if let value = positive(minutes) { copy.reopenPlan = value }
        case "followUp": if let value = positive(minutes) { copy.followUp = value }
        case "registration": if let value = positive(minutes) { copy.registration = value }
        default:
            let parts = field.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { break }
            switch parts[0] {
            case "firstResponse":
                if let value = positive(minutes) { copy.levels[parts[1], default: level(parts[1])].firstResponse = value }
            case "update":
                if let value = positive(minutes) { copy.levels[parts[1], default: level(parts[1])].update = value }
            case "resolution":
                if let value = positive(minutes) { copy.resolution[parts[1]] = value } else { copy.resolution[parts[1]] = nil }
            default: break
            }
        }
        return copy
    }

    /// One replicated knob as written: its field (`firstResponse.urgent`, `atRiskPercent`,
    /// `resolution.complaint`, ...) and value (minutes; a percentage; 1/0 for `pauseOnPending`;
    /// nil removes a resolution target).
    package struct Knob: Sendable, Hashable {
        package var field: String
        package var value: Int64?

        package init(field: String, value: Int64?) {
            self.field = field
            self.value = value
        }
    }

    /// Checks a knob by its replicated field name and value, the rules every way in (CLI, API, web) shares.
    ///
    /// - Throws: `DomainError.invalidValue` naming the field and its rule.
    package static func knob(field: String, value: Int64?) throws(DomainError) -> Knob {
        let minutesRule = "must be a duration of 1 minute to 365 days (1–525600 minutes)"
        let parts = field.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "firstResponse", "update":
            guard parts.count == 2, Urgency(rawValue: parts[1]) != nil else {
                throw .invalidValue(field: field, value: field, rule: "\(parts[0]) takes a level: urgent, important or normal")
            }
        case "resolution":
            guard parts.count == 2 else { throw .invalidValue(field: field, value: field, rule: "resolution takes a request type") }
            let type = try RequestTypeTree.validatePath(parts[1], field: "resolution")
            guard let value else { return Knob(field: "resolution.\(type)", value: nil) }
            guard (1...525_600).contains(value) else { throw .invalidValue(field: field, value: "\(value)", rule: minutesRule) }
            return Knob(field: "resolution.\(type)", value: value)
        case "atRiskPercent":
            guard let value, (1...100).contains(value) else {
                throw .invalidValue(field: field, value: value.map(String.init) ?? "null", rule: "must be a percentage from 1 to 100")
            }
            return Knob(field: field, value: value)
        case "pauseOnPending":
            guard let value, value == 0 || value == 1 else {
                throw .invalidValue(field: field, value: value.map(String.init) ?? "null", rule: "must be true or false")
            }
            return Knob(field: field, value: value)
        case "escalateComplex", "accept", "severePlan", "severeUpdate", "reopenPlan", "followUp", "registration":
            guard parts.count == 1 else { throw .invalidValue(field: field, value: field, rule: "unknown knob") }
        default:
            throw .invalidValue(field: field, value: field, rule: "unknown SLA knob")
        }
        guard let value, (1...525_600).contains(value) else {
            throw .invalidValue(field: field, value: value.map(String.init) ?? "null", rule: minutesRule)
        }
        return Knob(field: field, value: value)
    }

    /// Turns a knob as typed (`first-response.urgent=90m`, `at-risk=80`, `pause-on-pending=false`,
    /// `resolution.complaint=1d`, `resolution.complaint=none`) into the replicated field and value.
    ///
    /// - Throws: `DomainError.invalidValue` naming the knob and its rule.
    package static func field(forSetting setting: String) throws(DomainError) -> Knob {
        let (field, value) = try typedField(forSetting: setting)
        return try knob(field: field, value: value)
    }

    private static func typedField(forSetting setting: String) throws(DomainError) -> (field: String, value: Int64?) {
        guard let eq = setting.firstIndex(of: "=") else {
            throw .invalidValue(field: "setting", value: setting, rule: "must be KNOB=VALUE, e.g. first-response.urgent=90m")
        }
        let key = setting[..<eq].lowercased()
        let raw = String(setting[setting.index(after: eq)...])
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        let knobs: [String: String] = [
            "first-response": "firstResponse", "update": "update", "resolution": "resolution", "at-risk": "atRiskPercent",
            "escalate-complex": "escalateComplex", "accept": "accept", "severe-plan": "severePlan",
            "severe-update": "severeUpdate", "reopen-plan": "reopenPlan", "follow-up": "followUp",
            "pause-on-pending": "pauseOnPending", "registration": "registration",
        ]
        guard let name = knobs[parts[0]] else {
            throw .invalidValue(field: "setting", value: String(key), rule: "knobs are \(knobs.keys.sorted().joined(separator: ", "))")
        }
        switch name {
        case "firstResponse", "update", "resolution":
            guard parts.count == 2, !parts[1].isEmpty else {
                throw .invalidValue(field: "setting", value: String(key), rule: "\(parts[0]) needs a level or type, e.g. \(parts[0]).urgent")
            }
            if name != "resolution" { _ = try Urgency.parse(parts[1]) }
            if name == "resolution", raw.lowercased() == "none" { return ("resolution.\(parts[1])", nil) }
            return ("\(name).\(parts[1])", Int64(try parseDuration(raw, field: String(key))))
        case "atRiskPercent":
            guard let value = Int(raw.trimmingCharacters(in: CharacterSet(charactersIn: "% "))), (1...100).contains(value) else {
                throw .invalidValue(field: "at-risk", value: raw, rule: "must be a percentage from 1 to 100")
            }
            return (name, Int64(value))
        case "pauseOnPending":
            switch raw.lowercased() {
            case "true", "yes", "1": return (name, 1)
            case "false", "no", "0": return (name, 0)
            default: throw .invalidValue(field: "pause-on-pending", value: raw, rule: "must be true or false")
            }
        default:
            return (name, Int64(try parseDuration(raw, field: String(key))))
        }
    }

    /// Parses `90m`, `2h`, `3d`, `1h30m` or plain minutes into minutes (≥ 1).
    package static func parseDuration(_ text: String, field: String) throws(DomainError) -> Int {
        let rule = "must be a duration like 90m, 2h, 3d or 1h30m (at least 1 minute, at most 365d)"
        var total = 0
        var number = ""
        var sawUnit = false
        for char in text.lowercased() {
            if char.isNumber {
                number.append(char)
                continue
            }
            guard let value = Int(number), number.count <= 6 else { throw .invalidValue(field: field, value: text, rule: rule) }
            switch char {
            case "m": total += value
            case "h": total += value * 60
            case "d": total += value * 1440
            default: throw .invalidValue(field: field, value: text, rule: rule)
            }
            number = ""
            sawUnit = true
        }
        if !number.isEmpty {
            guard !sawUnit, let value = Int(number), number.count <= 6 else { throw .invalidValue(field: field, value: text, rule: rule) }
            total += value
        }
        guard (1...525_600).contains(total) else { throw .invalidValue(field: field, value: text, rule: rule) }
        return total
    }

    /// `2h`, `1d`, `90m`, `1h30m`: minutes for people.
    package static func formatDuration(minutes: Int) -> String {
        if minutes % 1440 == 0 { return "\(minutes / 1440)d" }
        if minutes % 60 == 0 { return "\(minutes / 60)h" }
        if minutes > 60 { return "\(minutes / 60)h\(minutes % 60)m" }
        return "\(minutes)m"
    }
}
