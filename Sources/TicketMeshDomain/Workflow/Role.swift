/// What a user may do (R10.2). Replicated on `user` records; checked by every store command.
package enum Role: String, CaseIterable, Sendable, Codable {
    /// Tier 1: registers and handles tickets.
    case agent
    /// Tier 2/3: handles escalated tickets, accepts assignments with an ETA.
    case specialist
    /// Reviews and approves cases, reopens, resolves conflicts, receives SLA breaches.
    case supervisor
    /// Department head: everything a supervisor does, plus SLA policies; handles grade-1 exceptions.
    case manager
    /// Reads tickets and reports; changes nothing.
    case analyst
    /// Manages users and everything else.
    case admin

    /// Parses a role name, naming the allowed ones on failure.
    package static func parse(_ raw: String) throws(DomainError) -> Role {
        guard let role = Role(rawValue: raw.lowercased()) else {
            throw .invalidValue(field: "role", value: raw, rule: "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return role
    }

    /// Whether this role may do `action`.
    package func allows(_ action: Permission) -> Bool { action.roles.contains(self) }
}

/// An action a role may or may not take; each store command and each read checks one.
package enum Permission: String, CaseIterable, Sendable {
    case viewTickets = "view tickets"
    case createTicket = "create a ticket"
    case editTicket = "work on a ticket"
    case escalate = "escalate a ticket"
    case accept = "accept an assignment"
    case reopen = "reopen a ticket"
    case approve = "approve a case"
    case recordFeedback = "record feedback"
    case raiseException = "raise a service exception"
    case manageCustomers = "manage customers"
    case manageSLA = "change SLA policies"
    case manageChurnPolicy = "change churn thresholds"
    case sweepSLA = "escalate SLA breaches"
    case resolveConflicts = "resolve a conflict"
    case manageUsers = "manage users"
    case manageRequestTypes = "change the request-type tree"
    case manageKnowledge = "edit the knowledge base"
    case archive = "archive a ticket"
    case purge = "purge tickets or change retention"
    case viewReports = "read reports"
    case revealContacts = "reveal contact data"
    case readAudit = "read the audit log"
    case setReportTargets = "set report targets"
    case seed = "load sample data"
    /// Save, change or delete one's own queue views (issue 16); the owner check is the store's.
    case saveView = "save a queue view"
    case manageMail = "change mail settings"

    /// The roles allowed to take this action.
    package var roles: [Role] {
        let staff: [Role] = [.agent, .specialist, .supervisor, .manager, .admin]
        let leads: [Role] = [.supervisor, .manager, .admin]
        switch self {
        case .viewTickets, .saveView: return Role.allCases
        case .createTicket, .editTicket, .escalate, .recordFeedback, .raiseException, .manageCustomers, .sweepSLA, .manageKnowledge:
            return staff
        case .accept: return [.specialist, .supervisor, .manager, .admin]
        case .reopen, .approve, .resolveConflicts, .archive: return leads
        case .purge: return [.manager, .admin]
        case .manageSLA, .manageChurnPolicy: return [.manager, .admin]
        case .manageUsers, .manageRequestTypes, .seed, .manageMail: return [.admin]
        case .viewReports: return [.supervisor, .manager, .analyst, .admin]
        // Reads: see Docs/workflow.md "Read rights". Analysts read tickets and reports, masked, and never reveal.
        case .revealContacts, .readAudit: return leads
        case .setReportTargets: return [.manager, .admin]
        }
    }

    /// The refusal for `user` with `role`: names the user, the role, the action and who may take it.
    package func refusal(user: String, role: Role) -> DomainError {
        DomainError(
            code: .forbidden,
            message: "forbidden: user '\(user)' has role \(role.rawValue) and may not \(rawValue): needs role \(roles.map(\.rawValue).joined(separator: ", "))")
    }
}

/// A user of the help desk: a replicated `user` record whose row id is the user name.
package struct User: Sendable, Equatable, Codable {
    package var name: String
    package var role: Role
    package var displayName: String?
    package var department: String?
    package var active: Bool

    package init(name: String, role: Role, displayName: String? = nil, department: String? = nil, active: Bool = true) {
        self.name = name
        self.role = role
        self.displayName = displayName
        self.department = department
        self.active = active
    }

    /// Checks a user name: 1–63 of letters, digits, `.`, `_`, `-`, `@`.
    package static func validateName(_ name: String) throws(DomainError) -> String {
        guard (1...63).contains(name.count),
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_@".contains($0)) })
        else {
            throw .invalidValue(field: "user", value: name, rule: "must be 1–63 of letters, digits, '.', '_', '-', '@'")
        }
        return name
    }
}
