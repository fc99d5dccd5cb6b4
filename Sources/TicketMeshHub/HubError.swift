/// Why a hub could not start or serve (Docs/scale-out.md).
public enum HubError: Error, CustomStringConvertible, Sendable {
    /// `--postgres` is not a usable `postgres://user[:password]@host[:port]/database` URL.
    case badPostgresURL(String, reason: String)
    /// The database could not be reached or refused the hub.
    case database(String)

    public var description: String {
        switch self {
        case .badPostgresURL(let url, let reason):
            return "--postgres \(url): \(reason) (expected postgres://user[:password]@host[:port]/database)"
        case .database(let message):
            return "PostgreSQL: \(message)"
        }
    }
}
