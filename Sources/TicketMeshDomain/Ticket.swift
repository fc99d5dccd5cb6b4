import Foundation

/// A ticket as the query tables hold it: the current winner of every replicated field.
package struct Ticket: Sendable, Equatable, Codable {
    package var id: String
    package var number: String
    package var customerId: String
    package var contactPerson: String?
    package var channel: String
    package var type: String
    package var urgency: String
    package var summary: String
    package var details: String?
    /// Free references such as `order=SO123` (R1.2), as key → value.
    package var refs: [String: String]
    /// When the customer's request was received (ms since 1970, UTC).
    package var receivedAt: Int64
    /// When the request was registered here (ms since 1970, UTC).
    package var registeredAt: Int64
    /// The resolution time the customer expects, if given.
    package var expectedBy: Int64?
    package var state: String
    package var assignee: String?
    package var tier: Int?
    package var department: String?
    package var readBack: Bool
    package var result: String?
    package var originSite: String
    package var createdBy: String?
    /// Archived tickets are read-only (R6.1).
    package var archived: Bool = false
    /// Numbers this ticket was also given: a site restored from a backup handed one out twice, and
    /// the ticket got a fresh one (Docs/replication.md, "Restores"). Each still finds it.
    package var aliases: [String] = []

    package init(
        id: String, number: String, customerId: String, contactPerson: String? = nil, channel: String, type: String,
        urgency: String, summary: String, details: String? = nil, refs: [String: String] = [:], receivedAt: Int64,
        registeredAt: Int64, expectedBy: Int64? = nil, state: String, assignee: String? = nil, tier: Int? = nil,
        department: String? = nil, readBack: Bool = false, result: String? = nil, originSite: String,
        createdBy: String? = nil
    ) {
        self.id = id
        self.number = number
        self.customerId = customerId
        self.contactPerson = contactPerson
        self.channel = channel
        self.type = type
        self.urgency = urgency
        self.summary = summary
        self.details = details
        self.refs = refs
        self.receivedAt = receivedAt
        self.registeredAt = registeredAt
        self.expectedBy = expectedBy
        self.state = state
        self.assignee = assignee
        self.tier = tier
        self.department = department
        self.readBack = readBack
        self.result = result
        self.originSite = originSite
        self.createdBy = createdBy
    }
}

/// What an agent enters to register a ticket (R1.2). Validated by `validated(types:)`.
package struct TicketDraft: Sendable, Equatable {
    package var customerId: String
    package var contactPerson: String?
    package var channel: String
    package var type: String
    package var urgency: String
    package var summary: String
    package var details: String?
    package var refs: [String: String]
    package var receivedAt: Int64?
    package var expectedBy: Int64?

    package init(
        customerId: String, contactPerson: String? = nil, channel: String, type: String, urgency: String,
        summary: String, details: String? = nil, refs: [String: String] = [:], receivedAt: Int64? = nil,
        expectedBy: Int64? = nil
    ) {
        self.customerId = customerId
        self.contactPerson = contactPerson
        self.channel = channel
        self.type = type
        self.urgency = urgency
        self.summary = summary
        self.details = details
        self.refs = refs
        self.receivedAt = receivedAt
        self.expectedBy = expectedBy
    }

    /// The draft with channel, type and urgency normalised, or the first rule it breaks.
    package func validated(types: RequestTypeTree, now: Int64) throws(DomainError) -> TicketDraft {
        var copy = self
        copy.channel = try Channel.parse(channel).rawValue
        copy.type = try types.validate(type)
        copy.urgency = try Urgency.parse(urgency).rawValue
        copy.summary = try Self.requireText(summary, field: "summary", limit: 2_000)
        if let details { copy.details = try Self.requireText(details, field: "details", limit: 100_000) }
        guard !customerId.isEmpty else { throw .missing(field: "customer") }
        for key in refs.keys where key.isEmpty || key.count > 64 {
            throw .invalidValue(field: "ref", value: key, rule: "key must be 1–64 characters")
        }
        if let receivedAt, receivedAt > now + 60_000 {
            throw .invalidValue(field: "received-at", value: String(receivedAt), rule: "must not be in the future")
        }
        if let expectedBy, expectedBy < (receivedAt ?? now) {
            throw .invalidValue(field: "expected-by", value: String(expectedBy), rule: "must not be before the time received")
        }
        return copy
    }

    /// Trims `text` and checks it is non-empty and at most `limit` characters.
    package static func requireText(_ text: String, field: String, limit: Int) throws(DomainError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .missing(field: field) }
        guard trimmed.count <= limit else {
            throw .invalidValue(field: field, value: String(trimmed.prefix(20)) + "…", rule: "must be at most \(limit) characters")
        }
        return trimmed
    }
}
