/// One SLA clock of one ticket at one moment (R3.3): computed, never stored.
package struct SLAClock: Sendable, Equatable, Codable {
    /// The clocks of R3.1 and R3.2.
    package enum Kind: String, Sendable, Codable, CaseIterable {
        case firstResponse = "first-response"
        case update = "progress-update"
        case escalation = "escalate-complex"
        case acceptance = "acceptance"
        case resolution = "resolution"
        case severePlan = "severe-plan"
        case reopenPlan = "reopen-plan"
        case followUp = "follow-up"
    }

    /// Where the clock stands.
    package enum Status: String, Sendable, Codable, CaseIterable {
        /// Stopped within its target.
        case met
        /// Running, under the at-risk share.
        case onTrack = "on-track"
        /// Running, at or past the at-risk share of its target.
        case atRisk = "at-risk"
        /// Past its target (running or stopped late).
        case breached
        /// Running but standing still: the ticket is pending the customer (R3.4).
        case paused
    }

    package var kind: Kind
    package var status: Status
    /// When the clock started (ms).
    package var startedAt: Int64
    /// When its target falls due (ms); while paused, as if the pause ended now.
    package var dueAt: Int64
    /// When the clock stopped (ms), nil while it runs.
    package var stoppedAt: Int64?
    /// The target, minutes of counted time.
    package var targetMinutes: Int
    /// Counted time used so far, or until it stopped (ms).
    package var elapsed: Int64
    /// Counted time left (ms); negative once breached.
    package var remaining: Int64
    /// How far past the target (ms of counted time); 0 unless breached.
    package var overBy: Int64
    /// Share of the target used, percent (may exceed 100).
    package var usedPercent: Int
    /// Whether the clock counts business hours (false: around the clock).
    package var businessHours: Bool

    /// Whether the clock is breached or at risk: what lists and sweeps look at.
    package var needsAttention: Bool { status == .breached || status == .atRisk }
}
