import Foundation

/// The customer's satisfaction (R5.1): a score 1–5, or the 3-level form mapped onto it.
package enum Satisfaction: String, CaseIterable, Sendable {
    case satisfied
    case basicallySatisfied = "basically-satisfied"
    case notSatisfied = "not-satisfied"

    /// The score the 3-level answer maps to: satisfied 5, basically satisfied 3, not satisfied 1.
    package var score: Int {
        switch self {
        case .satisfied: 5
        case .basicallySatisfied: 3
        case .notSatisfied: 1
        }
    }

    /// Parses a 3-level answer, naming the allowed ones on failure.
    package static func parse(_ raw: String) throws(DomainError) -> Satisfaction {
        let key = raw.lowercased().replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "_", with: "-")
        guard let value = Satisfaction(rawValue: key) else {
            throw .invalidValue(field: "level", value: raw, rule: "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// Checks a 1–5 score.
    package static func validate(score: Int) throws(DomainError) -> Int {
        guard (1...5).contains(score) else {
            throw .invalidValue(field: "score", value: String(score), rule: "must be an integer from 1 to 5")
        }
        return score
    }

    /// Whether a score reopens a resolved ticket and goes to a supervisor (R5.2): 1 or 2.
    package static func isDissatisfied(score: Int) -> Bool { score <= 2 }
}
