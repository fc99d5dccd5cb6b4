extension TicketState {
    /// The state a ticket shows, derived from merged registers (the rating-beats-resolve rule).
    ///
    /// A 1–2 rating writes `dissatisfied` = its rating id; every resolve or close writes
    /// `answeredRating` = the `dissatisfied` value its writer saw. If the merged `state` is
    /// resolved or closed but the merged `dissatisfied` was never answered, some resolve or
    /// close happened without seeing the complaint (concurrently on another site, whatever its
    /// HLC), so the ticket shows `reopened`. See Docs/workflow.md.
    package static func effective(stored: TicketState, dissatisfied: String?, answered: String?) -> TicketState {
        guard stored == .resolved || stored == .closed, let dissatisfied, dissatisfied != answered else { return stored }
        return .reopened
    }
}
