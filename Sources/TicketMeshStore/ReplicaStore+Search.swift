import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// The queue's search box (issue 16): words that must each occur in a ticket's number, its
/// customer's name, its summary, details, or the body of any entry of its log (notes, replies).
///
/// The same tokenizer rules as the knowledge base (`searchArticles`): words of three or more
/// characters use the FTS5 trigram index `ticketTextSearch`; shorter ones (`物流`) are matched by
/// substring, which a trigram index cannot answer. Matching ignores case.
///
/// Read rights: the index (`ticketText`, kept by `TicketSearch.derivation`) holds the text as a
/// masked read shows it (`Disclosure.masked`: ID-card, bank-card and phone numbers redacted), so
/// a search never finds a ticket by text the searcher could not read; a number shows only after
/// an audited reveal, which a search is not.
package struct TicketSearch: Sendable, Equatable {
    /// The words, lowercased, in the order given.
    package let words: [String]

    /// At most this many words, each at most `maxWordLength` characters.
    package static let maxWords = 10
    package static let maxWordLength = 100

    /// Splits `query` at white space (and NUL, which the full-text syntax cannot carry).
    ///
    /// - Throws: `DomainError` naming `search` when it holds no word, too many or too long ones.
    package init(_ query: String) throws(DomainError) {
        let words = query.split(whereSeparator: { $0.isWhitespace || $0 == "\0" }).map { $0.lowercased() }
        guard !words.isEmpty else { throw .missing(field: "search") }
        guard words.count <= Self.maxWords else {
            throw .invalidValue(field: "search", value: query, rule: "at most \(Self.maxWords) words")
        }
        if let long = words.first(where: { $0.count > Self.maxWordLength }) {
            throw .invalidValue(field: "search", value: long, rule: "a word has at most \(Self.maxWordLength) characters")
        }
        self.words = words
    }

    /// The condition on `ticket`: every word in one of the ticket's texts or its customer's name.
    func condition() -> (sql: String, arguments: StatementArguments) {
        var clauses: [String] = []
        var arguments: [String] = []
        for word in words {
            let match: String
            let argument: String
            if word.count >= 3 {
                match = "rowid IN (SELECT rowid FROM ticketTextSearch WHERE ticketTextSearch MATCH ?)"
                argument = "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            } else {
                // The index holds lowercased text, so `instr` ignores case beyond ASCII too.
                match = "instr(body, ?) > 0"
                argument = word
            }
            clauses.append(
                "(id IN (SELECT ticketId FROM ticketText WHERE ticketId IS NOT NULL AND \(match))"
                    + " OR customerId IN (SELECT customerId FROM ticketText WHERE ticketId IS NULL AND \(match)))")
            arguments += [argument, argument]
        }
        return (clauses.joined(separator: " AND "), StatementArguments(arguments.map(\.databaseValue)))
    }
}

extension TicketSearch {
    /// Ticket fields the ticket's own text is made of.
    static let ticketInputs: Set<String> = ["number", "aliases", "summary", "details"]

    /// Keeps `ticketText` (one row per ticket, entry and customer, as a masked read shows it) after
    /// every merged batch, local or received; `ticketTextSearch` follows by triggers (v7-queue).
    ///
    /// A function of the query tables the batch wrote, so converged sites and a rebuild from the log
    /// hold the same text. Rows go with their records (the delete triggers of v7-queue: purges).
    static let derivation = Derivation(name: "search") { batch, db in
        for id in batch.rows(of: "ticket", writing: TicketSearch.ticketInputs).sorted() { try TicketSearch.indexTicket(id, in: db) }
        for id in batch.rows(of: "entry", writing: ["ticketId", "body"]).sorted() { try TicketSearch.indexEntry(id, in: db) }
        for id in batch.rows(of: "customer", writing: ["name"]).sorted() { try TicketSearch.indexCustomer(id, in: db) }
    }

    /// The text of a ticket's own fields as a masked read shows them.
    static func ticketText(_ row: Row) -> String {
        let masked = Disclosure.masked
        var parts: [String] = [row["number"] ?? "", row["aliases"] ?? ""]
        parts.append(masked.text(row["summary"] as String? ?? ""))
        parts.append(masked.text(row["details"] as String? ?? ""))
        return parts.filter { !$0.isEmpty }.joined(separator: "\n")
    }

    static func indexTicket(_ id: String, in db: Database) throws {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT number, aliases, summary, details FROM ticket WHERE id = ?"), arguments: [id])
        else { return }
        try store(source: "ticket:" + id, ticketID: id, customerID: nil, text: ticketText(row), in: db)
    }

    static func indexEntry(_ id: String, in db: Database) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT ticketId, body FROM entry WHERE id = ?"), arguments: [id]),
            let ticketID = row["ticketId"] as String?
        else { return }
        try store(source: "entry:" + id, ticketID: ticketID, customerID: nil, text: Disclosure.masked.text(row["body"] as String? ?? ""), in: db)
    }

    static func indexCustomer(_ id: String, in db: Database) throws {
        guard let name = try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM customer WHERE id = ?"), arguments: [id]) else {
            return
        }
        try store(source: "customer:" + id, ticketID: nil, customerID: id, text: Disclosure.masked.text(name), in: db)
    }

    /// Upserts one source's text (lowercased), writing nothing when it is unchanged.
    static func store(source: String, ticketID: String?, customerID: String?, text: String, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO ticketText (sourceId, ticketId, customerId, body) VALUES (?, ?, ?, ?)
                ON CONFLICT(sourceId) DO UPDATE SET ticketId = excluded.ticketId, customerId = excluded.customerId, body = excluded.body
                WHERE body IS NOT excluded.body OR ticketId IS NOT excluded.ticketId
                """
        ).execute(arguments: [source, ticketID, customerID, text.lowercased()])
    }

    /// Indexes every ticket, entry and customer (the v7-queue migration of an older replica).
    static func backfill(in db: Database) throws {
        for id in try String.fetchAll(db, sql: "SELECT id FROM ticket") { try indexTicket(id, in: db) }
        for id in try String.fetchAll(db, sql: "SELECT id FROM entry") { try indexEntry(id, in: db) }
        for id in try String.fetchAll(db, sql: "SELECT id FROM customer") { try indexCustomer(id, in: db) }
    }

    /// Recomputes `ticketText` and its trigram index from the query tables, keeping nothing they
    /// held: snapshot bootstrap believes no derived state of the maker's file (`ReplicaStore.bootstrap`).
    static func rebuild(in db: Database) throws {
        // The index from the file's content table first: the delete triggers below need an index that
        // holds exactly the rows they delete (FTS5 reports a mismatch as a malformed database).
        try db.execute(sql: "INSERT INTO ticketTextSearch (ticketTextSearch) VALUES ('rebuild')")
        try db.execute(sql: "DELETE FROM ticketText")
        try backfill(in: db)
    }
}
