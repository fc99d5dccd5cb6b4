import Foundation

/// The workflow states of a ticket (R4.1).
package enum TicketState: String, CaseIterable, Sendable, Codable {
    case new
    case acknowledged
    case inProgress = "in-progress"
    case pendingCustomer = "pending-customer"
    case escalated
    case resolved
    case reopened
    case closed

    /// States from which a ticket may move to each state. `escalated → escalated` is a tier change.
    package var allowedNext: [TicketState] {
        switch self {
        case .new: [.acknowledged, .inProgress, .pendingCustomer, .escalated]
        case .acknowledged: [.inProgress, .pendingCustomer, .escalated, .resolved]
        case .inProgress: [.pendingCustomer, .escalated, .resolved]
        case .pendingCustomer: [.inProgress, .escalated, .resolved]
        case .escalated: [.inProgress, .pendingCustomer, .escalated, .resolved]
        case .resolved: [.closed, .reopened]
        case .reopened: [.acknowledged, .inProgress, .pendingCustomer, .escalated, .resolved]
        case .closed: []
        }
    }

    /// Whether work on the ticket is still going on (not resolved or closed).
    package var isOpen: Bool { self != .resolved && self != .closed }

    /// Checks the move `self → next` against the state machine.
    ///
    /// - Throws: `DomainError.illegalTransition` naming the from-state, the to-state and the allowed ones.
    package func checkTransition(to next: TicketState) throws(DomainError) {
        guard allowedNext.contains(next) else {
            let allowed = allowedNext.isEmpty ? "none (final state)" : allowedNext.map(\.rawValue).joined(separator: ", ")
            throw DomainError(
                code: .illegalTransition,
                message: "illegal transition of state from '\(rawValue)' to '\(next.rawValue)': allowed from '\(rawValue)': \(allowed)")
        }
    }

    /// Parses a state name, naming the allowed ones on failure.
    package static func parse(_ raw: String) throws(DomainError) -> TicketState {
        guard let state = TicketState(rawValue: raw.lowercased()) else {
            throw .invalidValue(field: "state", value: raw, rule: "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return state
    }
}
