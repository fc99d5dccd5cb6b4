/// Computes every SLA clock of a ticket from its history, a policy and now (R3.2–R3.4).
///
/// Pure: the same history, policy and `now` give the same clocks on every site.
/// See Docs/workflow.md for when each clock starts, stops and pauses.
package enum SLAEngine {
    /// Every clock that applies to the ticket, in `SLAClock.Kind` order.
    package static func clocks(for history: TicketHistory, policy: SLAPolicy, now: Int64) -> [SLAClock] {
        let pending = policy.pauseOnPending ? history.pendingIntervals(now: now) : []
        let paused = ClockTime(calendar: policy.calendar, pauses: pending)
        let straight = ClockTime(calendar: policy.calendar)
        let level = policy.level(history.urgency)
        var result: [SLAClock] = []

        func add(_ kind: SLAClock.Kind, start: Int64, stop: Int64?, minutes: Int, time: ClockTime) {
            result.append(clock(kind, start: start, stop: stop, minutes: minutes, time: time, policy: policy, pending: history.isPending && time.pauses.count > 0, now: now))
        }

        // First response: receipt → first customer-visible reply.
        add(.firstResponse, start: history.receivedAt, stop: history.replies.first, minutes: level.firstResponse, time: paused)

        // Progress updates: last reply → next reply, while the ticket is open.
        if let last = history.replies.last {
            let interval = history.isSevereComplaint ? min(level.update, policy.severeUpdate) : level.update
            let stop =
                history.state.isOpen
                ? nil : history.states.first { ($0.value == .resolved || $0.value == .closed) && $0.at >= last }?.at ?? last
            add(.update, start: last, stop: stop, minutes: interval, time: paused)
        }

        // Complex ticket to tier 2.
        if let since = history.complexSince {
            let reached = history.tiers.first(where: { $0.value >= 2 && $0.at >= since })?.at
            let already = history.tiers.last(where: { $0.at < since }).map { $0.value >= 2 } ?? false
            add(.escalation, start: since, stop: already ? since : reached, minutes: policy.escalateComplex, time: straight)
        }

        // Tier 2/3 acceptance with an ETA.
        if let tier = history.tier, tier >= 2, let assigned = history.tiers.last(where: { $0.value >= 2 })?.at {
            let accepted = history.acceptances.first(where: { $0 >= assigned })
            add(.acceptance, start: assigned, stop: accepted, minutes: policy.accept, time: straight)
        }

        if history.isSevereComplaint {
            // Severe complaint: a plan within 48 h.
            let planned = history.plans.first(where: { $0 >= history.receivedAt })
            add(.severePlan, start: history.receivedAt, stop: planned, minutes: policy.severePlan, time: paused)
        } else if let target = policy.resolutionTarget(type: history.type) {
            // Resolution target per type: receipt → first resolution.
            add(.resolution, start: history.receivedAt, stop: history.firstTime(of: .resolved), minutes: target, time: paused)
        }

        // Reopened: a new plan within 24 h.
        if let reopened = history.lastTime(of: .reopened) {
            let planned = history.plans.first(where: { $0 >= reopened })
            add(.reopenPlan, start: reopened, stop: planned, minutes: policy.reopenPlan, time: paused)
        }

        // Follow-up within 24 h of the (last) resolution, once the ticket is resolved or closed.
        if !history.state.isOpen, let resolved = history.lastTime(of: .resolved) {
            let contacted = history.followUps.first(where: { $0 >= resolved })
            add(.followUp, start: resolved, stop: contacted, minutes: policy.followUp, time: straight)
        }
        return result
    }

    /// The earliest due time of a running clock, counting no pause: never later than the
    /// `nextDue` of `clocks(for:policy:now:)` at any `now`; nil when no clock runs.
    ///
    /// Which clocks run depends on the history and policy only; a due time moves only by pauses
    /// (pending-customer spans, counted up to `now`), which can only push it later. So this is a
    /// lower bound that holds whatever the clock says, and equals the due time for a ticket that
    /// was never paused. The queue orders candidates by it (Docs/performance.md, "Web queue").
    package static func earliestDue(for history: TicketHistory, policy: SLAPolicy) -> Int64? {
        // At the earliest instant every open pause is empty and every other one is clipped away.
        nextDue(clocks(for: history, policy: policy, now: .min))
    }

    /// Until when (exclusive) `clocks`, computed at `now`, keep every status and due time: the
    /// first instant a running clock could reach its at-risk share or pass its target, counting
    /// business time as if it ran without a break (it never runs faster than the wall clock, so
    /// the bound only comes early); `Int64.max` when no clock runs. Nil when a due time moves with
    /// `now`: the ticket waits on the customer under a policy that pauses for it (`pending`).
    ///
    /// The queue page keeps its rows until then (Docs/performance.md, "Web queue: pages as copies").
    package static func statusesHold(_ clocks: [SLAClock], pending: Bool, policy: SLAPolicy, now: Int64) -> Int64? {
        var until = Int64.max
        for clock in clocks where clock.stoppedAt == nil {
            if pending, policy.pauseOnPending { return nil }
            let target = Int64(clock.targetMinutes) * 60_000
            // Elapsed time only grows, so a breached clock stays breached.
            switch clock.status {
            case .met, .breached: continue
            case .paused: return nil
            case .onTrack:
                // At risk once elapsed × 100 ≥ target × share: the least such elapsed time.
                let risk = (target * Int64(policy.atRiskPercent) + 99) / 100
                until = min(until, now + max(1, risk - clock.elapsed), now + target + 1 - clock.elapsed)
            case .atRisk:
                until = min(until, now + max(1, target + 1 - clock.elapsed))
            }
        }
        return until
    }

    /// The earliest due time among running (not stopped) clocks; nil when none runs.
    package static func nextDue(_ clocks: [SLAClock]) -> Int64? {
        var earliest: Int64?
        for clock in clocks where clock.stoppedAt == nil { earliest = min(earliest ?? clock.dueAt, clock.dueAt) }
        return earliest
    }

    /// One clock from its start, optional stop and target.
    package static func clock(
        _ kind: SLAClock.Kind, start: Int64, stop: Int64?, minutes: Int, time: ClockTime, policy: SLAPolicy, pending: Bool,
        now: Int64
    ) -> SLAClock {
        let target = Int64(minutes) * 60_000
        let end = stop ?? max(now, start)
        // Pauses only count up to where the clock ends; the due time projects an open pause ending now.
        let counted =
            time.pauses.isEmpty ? time : ClockTime(calendar: time.calendar, pauses: time.pauses.map { .init(start: $0.start, end: min($0.end, end)) })
        let elapsed = counted.elapsed(from: start, to: end)
        let due = counted.advance(from: start, by: target)
        let status: SLAClock.Status
        if elapsed > target {
            status = .breached
        } else if stop != nil {
            status = .met
        } else if pending {
            status = .paused
        } else if elapsed * 100 >= target * Int64(policy.atRiskPercent) {
            status = .atRisk
        } else {
            status = .onTrack
        }
        return SLAClock(
            kind: kind, status: status, startedAt: start, dueAt: due, stoppedAt: stop, targetMinutes: minutes, elapsed: elapsed,
            remaining: target - elapsed, overBy: max(0, elapsed - target), usedPercent: Int(elapsed * 100 / max(target, 1)),
            businessHours: time.calendar != nil)
    }
}
