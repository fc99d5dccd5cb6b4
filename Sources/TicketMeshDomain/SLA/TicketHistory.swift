/// What the SLA clocks of a ticket are computed from: the times of its replicated writes and entries.
///
/// Built by the store from the change log (every write of `state`, `tier`, `acceptedAt`,
/// `plannedAt`, `followUpAt`, `complex`, by HLC time) and the progress log, so every site that
/// holds the same changes builds the same history and shows the same clocks.
package struct TicketHistory: Sendable, Equatable {
    /// A value written at a time (ms), in time order.
    package struct Event<Value: Sendable & Equatable>: Sendable, Equatable {
        package var at: Int64
        package var value: Value

        package init(at: Int64, value: Value) {
            self.at = at
            self.value = value
        }
    }

    package var receivedAt: Int64
    package var type: String
    package var urgency: String
    /// The current (merged) state.
    package var state: TicketState
    /// The current tier, if assigned.
    package var tier: Int?
    /// Every state write, oldest first.
    package var states: [Event<TicketState>]
    /// Every tier write, oldest first.
    package var tiers: [Event<Int>]
    /// Times of customer-visible replies, oldest first.
    package var replies: [Int64]
    /// Times of acceptances (tier 2/3 accepted with an ETA), oldest first.
    package var acceptances: [Int64]
    /// Times plans were recorded, oldest first.
    package var plans: [Int64]
    /// Times of follow-up contacts, oldest first.
    package var followUps: [Int64]
    /// When the ticket was (last) marked complex, if it is complex now.
    package var complexSince: Int64?
    /// When a grade-1 exception was first raised on it, if any.
    package var gradeOneSince: Int64?

    package init(
        receivedAt: Int64, type: String, urgency: String, state: TicketState, tier: Int? = nil,
        states: [Event<TicketState>] = [], tiers: [Event<Int>] = [], replies: [Int64] = [], acceptances: [Int64] = [],
        plans: [Int64] = [], followUps: [Int64] = [], complexSince: Int64? = nil, gradeOneSince: Int64? = nil
    ) {
        self.receivedAt = receivedAt
        self.type = type
        self.urgency = urgency
        self.state = state
        self.tier = tier
        self.states = states.sorted { $0.at < $1.at }
        self.tiers = tiers.sorted { $0.at < $1.at }
        self.replies = replies.sorted()
        self.acceptances = acceptances.sorted()
        self.plans = plans.sorted()
        self.followUps = followUps.sorted()
        self.complexSince = complexSince
        self.gradeOneSince = gradeOneSince
    }

    /// Whether this is a severe complaint: a complaint with a grade-1 service exception (R2.2, R3.2).
    package var isSevereComplaint: Bool {
        gradeOneSince != nil && (type == "complaint" || type.hasPrefix("complaint/"))
    }

    /// Spans spent in `pending-customer`; the last one ends at `now` if the ticket still waits.
    package func pendingIntervals(now: Int64) -> [ClockTime.Interval] {
        var result: [ClockTime.Interval] = []
        var openedAt: Int64?
        for event in states {
            if event.value == .pendingCustomer {
                if openedAt == nil { openedAt = event.at }
            } else if let start = openedAt {
                result.append(.init(start: start, end: event.at))
                openedAt = nil
            }
        }
        if let start = openedAt, state == .pendingCustomer { result.append(.init(start: start, end: max(start, now))) }
        return result
    }

    /// Whether the ticket is pending the customer now.
    package var isPending: Bool { state == .pendingCustomer }

    /// Times the state became `value`, oldest first.
    package func times(of value: TicketState) -> [Int64] { states.filter { $0.value == value }.map(\.at) }

    /// The first time the state became `value`.
    package func firstTime(of value: TicketState) -> Int64? { states.first { $0.value == value }?.at }

    /// The last time the state became `value`.
    package func lastTime(of value: TicketState) -> Int64? { states.last { $0.value == value }?.at }
}
