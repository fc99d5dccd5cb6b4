/// The short code of a site (branch, department, laptop): 2–8 characters of A–Z and 0–9.
///
/// It is part of every ticket number and every change's origin, so it never changes for a site.
package struct SiteCode: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    package let rawValue: String

    /// Validates `raw` against the site-code rule.
    package init(_ raw: String) throws(DomainError) {
        guard Self.isValid(raw) else {
            throw .invalidValue(field: "site", value: raw, rule: "must be 2–8 characters of A–Z and 0–9")
        }
        self.rawValue = raw
    }

    /// Wraps a code already known to be valid (decoded from our own storage).
    package init(trusted raw: String) {
        precondition(Self.isValid(raw), "corrupt site code")
        self.rawValue = raw
    }

    package static func isValid(_ raw: String) -> Bool {
        let bytes = Array(raw.utf8)
        guard (2...8).contains(bytes.count) else { return false }
        return bytes.allSatisfy { (65...90).contains($0) || (48...57).contains($0) }
    }

    package var description: String { rawValue }
    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    package init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        try self.init(raw)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
