import Foundation

/// A customer (R8.1), the fields registration needs.
package struct Customer: Sendable, Equatable, Codable {
    package var id: String
    package var name: String
    package var contactPerson: String?
    package var phone: String?
    package var email: String?
    package var industry: String?
    package var level: String

    package init(id: String, name: String, contactPerson: String? = nil, phone: String? = nil, email: String? = nil, industry: String? = nil, level: String = "normal") {
        self.id = id
        self.name = name
        self.contactPerson = contactPerson
        self.phone = phone
        self.email = email
        self.industry = industry
        self.level = level
    }

    /// Customer levels (R8.1).
    package static let levels = ["vip", "normal", "potential"]

    /// Checks every field's rule; returns the customer with trimmed text and a lower-cased level.
    package func validated() throws(DomainError) -> Customer {
        var copy = self
        guard Self.isValidID(id) else {
            throw .invalidValue(field: "id", value: id, rule: "must be 'C' followed by 4–16 characters of A–Z and 0–9")
        }
        copy.name = try TicketDraft.requireText(name, field: "name", limit: 200)
        copy.level = level.lowercased()
        guard Self.levels.contains(copy.level) else {
            throw .invalidValue(field: "level", value: level, rule: "must be one of \(Self.levels.joined(separator: ", "))")
        }
        if let phone {
            // ASCII digits only, so the rule is the same as Docs/openapi.yaml's pattern.
            let digits = phone.filter { $0.isASCII && $0.isNumber }
            guard (5...20).contains(digits.count), phone.allSatisfy({ ($0.isASCII && $0.isNumber) || " +-()".contains($0) }) else {
                throw .invalidValue(field: "phone", value: Masking.phone(phone), rule: "must be 5–20 digits, optionally with + - ( ) and spaces")
            }
        }
        // By Unicode scalar, not by character: "@" followed by a combining mark is still an "@" (as in the API's pattern).
        if let email, !(email.unicodeScalars.contains("@") && email.unicodeScalars.count <= 254 && !email.unicodeScalars.contains(" ")) {
            throw .invalidValue(field: "email", value: email, rule: "must be an address like name@example.com")
        }
        return copy
    }

    package static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.first == UInt8(ascii: "C"), (5...17).contains(bytes.count) else { return false }
        return bytes.dropFirst().allSatisfy { (65...90).contains($0) || (48...57).contains($0) }
    }
}

/// Masking of personal data for display (R10.1).
package enum Masking {
    /// A phone number with all but its last four digits replaced by `*`.
    package static func phone(_ phone: String) -> String {
        let digits = phone.filter(\.isNumber)
        guard digits.count > 4 else { return String(repeating: "*", count: digits.count) }
        return String(repeating: "*", count: digits.count - 4) + digits.suffix(4)
    }
}
