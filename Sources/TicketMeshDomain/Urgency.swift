/// How urgent a ticket is (R3.1). The targets attached to each level live in SLA policies, not here.
package enum Urgency: String, CaseIterable, Sendable, Codable, Comparable {
    case urgent
    case important
    case normal

    /// Parses an urgency name, naming the allowed ones on failure.
    package static func parse(_ raw: String) throws(DomainError) -> Urgency {
        guard let urgency = Urgency(rawValue: raw.lowercased()) else {
            throw .invalidValue(field: "urgency", value: raw, rule: "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return urgency
    }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    /// More urgent sorts first.
    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}
