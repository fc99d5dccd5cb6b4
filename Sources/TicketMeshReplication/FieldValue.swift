/// The value a change writes into a field. Fields travel by name with one of these types.
package enum FieldValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case int(Int64)
    case text(String)

    package var description: String {
        switch self {
        case .null: "null"
        case .int(let value): String(value)
        case .text(let value): value
        }
    }

    /// The text, or nil for other kinds.
    package var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// The integer, or nil for other kinds.
    package var int: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }
}
