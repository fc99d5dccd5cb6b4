/// One progress-log entry of a ticket (R4.3): grow-only, never edited.
package struct Entry: Sendable, Equatable, Codable {
    /// What the entry records.
    package enum Kind: String, Sendable, Codable, CaseIterable {
        /// Internal note, not shown to the customer.
        case note
        /// Customer-visible reply; the first one is the first response.
        case reply
        /// A state change or assignment, written by the system.
        case event
        /// A satisfaction rating (R5.1).
        case rating
        /// A message from the customer (an inbound mail on the ticket's thread, R13.1); not a response.
        case customer
    }

    package var id: String
    package var ticketId: String
    package var kind: Kind
    package var author: String?
    package var body: String
    /// Score 1–5 for ratings.
    package var score: Int?
    /// When it was written (ms since 1970, UTC).
    package var at: Int64
    package var site: String

    package init(id: String, ticketId: String, kind: Kind, author: String?, body: String, score: Int? = nil, at: Int64, site: String) {
        self.id = id
        self.ticketId = ticketId
        self.kind = kind
        self.author = author
        self.body = body
        self.score = score
        self.at = at
        self.site = site
    }
}
