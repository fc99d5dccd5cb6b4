import Foundation
import TicketMeshDomain
import TicketMeshStore

/// An SLA clock as the CLI prints it: every field of `SLAClock` plus ISO times for people.
struct SLAClockView: Encodable {
    var clock: SLAClock

    private enum Keys: String, CodingKey { case due, started, stopped }

    func encode(to encoder: any Encoder) throws {
        try clock.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(Timestamps.iso(clock.dueAt), forKey: .due)
        try container.encode(Timestamps.iso(clock.startedAt), forKey: .started)
        try container.encodeIfPresent(clock.stoppedAt.map(Timestamps.iso), forKey: .stopped)
    }

    /// One line: `first-response   breached  due 2026-…Z  over by 1h05m`.
    var line: String {
        let kind = clock.kind.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)
        let status = clock.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
        var text = "\(kind) \(status) due \(Timestamps.iso(clock.dueAt))"
        switch clock.status {
        case .breached: text += "  over by \(Self.duration(clock.overBy))"
        case .met: text += "  met with \(Self.duration(clock.remaining)) to spare"
        default: text += "  \(Self.duration(clock.remaining)) left (\(clock.usedPercent) % used)"
        }
        return text + (clock.businessHours ? "  [business hours]" : "")
    }

    static func duration(_ millis: Int64) -> String {
        let minutes = Int(max(0, millis) / 60_000)
        return minutes == 0 ? "0m" : SLAPolicy.formatDuration(minutes: minutes)
    }
}

/// A ticket with its clocks, for `ticket list --breached/--at-risk --json`: the ticket's fields plus `sla` and `due`.
struct TicketSLAView: Encodable {
    var item: TicketSLA

    private enum Keys: String, CodingKey { case sla, due, dueAt }

    func encode(to encoder: any Encoder) throws {
        try item.ticket.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(item.clocks.map(SLAClockView.init), forKey: .sla)
        try container.encode(item.dueAt, forKey: .dueAt)
        try container.encode(Timestamps.iso(item.dueAt), forKey: .due)
    }
}
