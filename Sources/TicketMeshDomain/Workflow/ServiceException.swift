/// A service exception raised on a ticket (R2.2): category, grade, and who handles it.
package struct ServiceException: Sendable, Equatable, Codable {
    /// What went wrong.
    package enum Category: String, CaseIterable, Sendable, Codable {
        case process
        case quality
        case brokenCommitment = "broken-commitment"
        case formalComplaint = "formal-complaint"

        /// Parses a category name, naming the allowed ones on failure.
        package static func parse(_ raw: String) throws(DomainError) -> Category {
            guard let value = Category(rawValue: raw.lowercased()) else {
                throw .invalidValue(field: "category", value: raw, rule: "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
    }

    /// 1 = severe, 2 = significant, 3 = minor.
    package enum Grade: Int, CaseIterable, Sendable, Codable {
        case severe = 1
        case significant = 2
        case minor = 3

        /// Parses 1, 2 or 3.
        package static func parse(_ raw: Int) throws(DomainError) -> Grade {
            guard let grade = Grade(rawValue: raw) else {
                throw .invalidValue(field: "grade", value: String(raw), rule: "must be 1 (severe), 2 (significant) or 3 (minor)")
            }
            return grade
        }

        /// Who handles an exception of this grade (R2.2).
        package var handler: String {
            switch self {
            case .severe: "management (manager), reported at once"
            case .significant: "customer service (supervisor) leading, with the business department"
            case .minor: "customer service (agent) alone"
            }
        }

        /// The role that is notified and handles it.
        package var handlingRole: Role {
            switch self {
            case .severe: .manager
            case .significant: .supervisor
            case .minor: .agent
            }
        }
    }

    package var id: String
    package var ticketId: String
    package var category: Category
    package var grade: Grade
    package var handler: String
    package var description: String
    /// When it was raised (ms).
    package var at: Int64
    package var by: String?
    package var site: String

    package init(
        id: String, ticketId: String, category: Category, grade: Grade, description: String, at: Int64, by: String?, site: String
    ) {
        self.id = id
        self.ticketId = ticketId
        self.category = category
        self.grade = grade
        self.handler = grade.handler
        self.description = description
        self.at = at
        self.by = by
        self.site = site
    }
}
