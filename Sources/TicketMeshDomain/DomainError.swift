/// A command the domain refused. Nothing was changed.
package struct DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of refusal this is; the CLI and API map it to exit codes and HTTP statuses.
    package enum Code: Hashable, Sendable {
        case invalidValue
        case notFound
        case illegalTransition
        case forbidden
        case conflict
    }

    package let code: Code
    package let message: String
    package var description: String { message }

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// A value that breaks a rule: "invalid urgency 'asap': must be one of urgent, important, normal".
    package static func invalidValue(field: String, value: String, rule: String) -> Self {
        Self(code: .invalidValue, message: "invalid \(field) '\(value)': \(rule)")
    }

    /// A required value that is absent.
    package static func missing(field: String) -> Self {
        Self(code: .invalidValue, message: "missing \(field): a value is required")
    }

    /// A record that does not exist on this site.
    package static func notFound(_ kind: String, _ key: String) -> Self {
        Self(code: .notFound, message: "unknown \(kind) '\(key)': no such \(kind) on this site")
    }
}
