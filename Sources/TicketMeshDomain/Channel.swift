/// How a request reached us (R1.1). Recorded on every ticket.
package enum Channel: String, CaseIterable, Sendable, Codable {
    case phone
    case chat
    case email
    case social
    case app
    case web
    case walkIn = "walk-in"

    /// Parses a channel name, naming the allowed ones on failure.
    package static func parse(_ raw: String) throws(DomainError) -> Channel {
        guard let channel = Channel(rawValue: raw.lowercased()) else {
            throw .invalidValue(field: "channel", value: raw, rule: "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return channel
    }
}
