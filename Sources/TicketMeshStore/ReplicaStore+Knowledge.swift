import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// The knowledge base (R9): articles, full-text search in Chinese and English, hit counters.
///
/// Hit counts are a grow-only counter: each site writes only its own `articleHit` row
/// (`ARTICLE/SITE`), and the total is their sum, so offline sites never overwrite each other.
extension ReplicaStore {
    /// Adds an article.
    package func addArticle(title: String, body: String, category: String, actor: String?) async throws -> Article {
        let title = try TicketDraft.requireText(title, field: "title", limit: 300)
        let body = try TicketDraft.requireText(body, field: "body", limit: 100_000)
        let category = try Article.validateCategory(category)
        try await authorize(.manageKnowledge, actor: actor)
        let now = configuration.now()
        let id = RecordID.make(at: now)
        let values: [(String, FieldValue)] = [
            ("title", .text(title)), ("body", .text(body)), ("category", .text(category)), ("site", .text(site.rawValue)),
            ("createdAt", .int(now)),
        ] + (actor.map { [("author", FieldValue.text($0))] } ?? [])
        try await commit(values.map { FieldEdit(entity: "article", rowID: id, field: $0.0, value: $0.1) }, actor: actor)
        return try await article(id)
    }

    /// An article with its summed hit count and linked tickets.
    package func article(_ id: String) async throws -> Article {
        let found = try await writer.read { db in try self.articles(where: "article.id = ?", [id], in: db).first }
        guard let found else { throw DomainError.notFound("article", id) }
        return found
    }

    /// Articles whose title or body contain every word of `query` (Chinese or English), most used first.
    ///
    /// Words of three or more characters use the FTS5 trigram index; shorter ones (`物流`) are
    /// matched by substring, which the trigram index cannot answer.
    package func searchArticles(_ query: String, category: String? = nil, limit: Int = 20) async throws -> [Article] {
        // NUL separates words too: the full-text query syntax cannot carry it (a search for one was a 500).
        let words = query.split(whereSeparator: { $0.isWhitespace || $0 == "\0" }).map(String.init).filter { !$0.isEmpty }
        guard !words.isEmpty else { throw DomainError.missing(field: "query") }
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        let long = words.filter { $0.count >= 3 }
        if !long.isEmpty {
            clauses.append("article.id IN (SELECT articleId FROM articleSearch WHERE articleSearch MATCH ?)")
            arguments.append(long.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " AND "))
        }
        for word in words where word.count < 3 {
            clauses.append("(instr(lower(article.title), lower(?)) > 0 OR instr(lower(article.body), lower(?)) > 0)")
            arguments += [word, word]
        }
        if let category {
            clauses.append("article.category = ?")
            arguments.append(try Article.validateCategory(category))
        }
        let condition = clauses.joined(separator: " AND ")
        let bound = StatementArguments(arguments.map { $0.databaseValue })
        return try await writer.read { db in
            Array(try self.articles(where: condition, bound, in: db).prefix(limit))
        }
    }

    /// Records that an agent used an article, optionally as the resolution of a ticket.
    ///
    /// Adds one to this site's counter; a link is one record per (article, ticket), whichever site makes it.
    package func useArticle(_ id: String, ticket: String?, actor: String?) async throws -> Article {
        try await writer.write { db in
            try self.authorize(.editTicket, actor: actor, in: db)
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM article WHERE id = ? AND title IS NOT NULL)", arguments: [id]) == true else {
                throw DomainError.notFound("article", id)
            }
            let counterID = "\(id)/\(self.site.rawValue)"
            let count = try Int64.fetchOne(db, sql: "SELECT count FROM articleHit WHERE id = ?", arguments: [counterID]) ?? 0
            var edits = [
                FieldEdit(entity: "articleHit", rowID: counterID, field: "articleId", value: .text(id)),
                FieldEdit(entity: "articleHit", rowID: counterID, field: "site", value: .text(self.site.rawValue)),
                FieldEdit(entity: "articleHit", rowID: counterID, field: "count", value: .int(count + 1)),
            ]
            if let ticket {
                let found = try self.ticket(ticket, in: db)
                let linkID = "\(id)/\(found.id)"
                edits += [
                    FieldEdit(entity: "articleLink", rowID: linkID, field: "articleId", value: .text(id)),
                    FieldEdit(entity: "articleLink", rowID: linkID, field: "ticketId", value: .text(found.id)),
                ]
            }
            try self.commit(edits, actor: actor, in: db)
        }
        return try await article(id)
    }

    func articles(where condition: String, _ arguments: StatementArguments, in db: Database) throws -> [Article] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT article.*,
                  (SELECT COALESCE(SUM(count), 0) FROM articleHit WHERE articleHit.articleId = article.id) AS hits,
                  (SELECT COUNT(*) FROM articleLink WHERE articleLink.articleId = article.id) AS linked
                FROM article WHERE article.title IS NOT NULL AND \(condition)
                ORDER BY hits DESC, article.title, article.id
                """,
            arguments: arguments
        ).map { row in
            Article(
                id: row["id"], title: row["title"], body: row["body"] ?? "", category: row["category"] ?? "other",
                author: row["author"], site: row["site"] ?? "", hits: row["hits"], resolvedTickets: row["linked"])
        }
    }
}
