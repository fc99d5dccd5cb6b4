/// A knowledge-base article (R9.1): a standard answer under a category.
package struct Article: Sendable, Equatable, Codable {
    package var id: String
    package var title: String
    package var body: String
    package var category: String
    package var author: String?
    package var site: String
    /// Times agents used it, summed over every site's own counter.
    package var hits: Int
    /// Tickets it was linked to as their resolution.
    package var resolvedTickets: Int

    package init(id: String, title: String, body: String, category: String, author: String?, site: String, hits: Int = 0, resolvedTickets: Int = 0) {
        self.id = id
        self.title = title
        self.body = body
        self.category = category
        self.author = author
        self.site = site
        self.hits = hits
        self.resolvedTickets = resolvedTickets
    }

    /// The standards' frequent-question categories; others may be added.
    package static let standardCategories = ["order-status", "logistics", "returns", "payment", "product", "other"]

    /// Checks a category name: lower-case letters, digits and dashes, 2–40 characters.
    package static func validateCategory(_ raw: String) throws(DomainError) -> String {
        let value = raw.lowercased()
        guard (2...40).contains(value.count), value.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }) else {
            throw .invalidValue(field: "category", value: raw, rule: "must be 2–40 of a–z, 0–9 and '-', e.g. \(standardCategories.joined(separator: ", "))")
        }
        return value
    }
}
