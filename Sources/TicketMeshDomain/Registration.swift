import Foundation

/// Whether a ticket was registered in time after the request was received (R1.2: due within
/// 30 min of receipt by default; the target is the SLA policy's `registration` knob).
///
/// Wall-clock minutes, not business hours: the standards ask for registration while the
/// customer is still on the line or the message is fresh.
package struct Registration: Sendable, Equatable, Codable {
    /// When the request was received (ms since 1970, UTC).
    package var receivedAt: Int64
    /// When the ticket was registered (ms since 1970, UTC).
    package var registeredAt: Int64
    /// Whole minutes from receipt to registration, rounded down; 0 when registered at or before the stated receipt.
    package var minutes: Int
    /// The target in minutes.
    package var targetMinutes: Int
    /// Whether the ticket was registered within the target.
    package var met: Bool

    package init(receivedAt: Int64, registeredAt: Int64, targetMinutes: Int) {
        let delay = max(0, registeredAt - receivedAt)
        self.receivedAt = receivedAt
        self.registeredAt = registeredAt
        self.minutes = Int(delay / 60_000)
        self.targetMinutes = targetMinutes
        self.met = delay <= Int64(targetMinutes) * 60_000
    }

    /// The registration of `ticket` measured against `policy`.
    package init(of ticket: Ticket, policy: SLAPolicy) {
        self.init(receivedAt: ticket.receivedAt, registeredAt: ticket.registeredAt, targetMinutes: policy.registration)
    }
}
