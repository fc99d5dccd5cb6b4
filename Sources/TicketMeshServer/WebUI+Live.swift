import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import TicketMeshDomain
import TicketMeshStore

/// Live updates, presence, the stale-reply guard and canned answers on the web pages
/// (Docs/web.md, "Live updates"; issue 16 items 2 and 3).
///
/// - `GET /live/queue` and `GET /tickets/{id}/live`: Server-Sent Events, one `commit` event per
///   commit of the replica (`CommitFeed`); the ticket stream also sends `presence` (who else at
///   this web process views the ticket and who types a reply) and registers its reader as a viewer.
/// - `POST /tickets/{id}/typing` (`typing=1|0`): the reader's typing flag (`LiveHub`).
/// - `POST /tickets/{id}/reply|note` carry `expectedVersion`, the ticket version the page showed;
///   a ticket that moved on answers 409 with a confirm page (the entry kept, the new version in it).
/// - `GET /tickets/{id}/canned?q=` searches the knowledge base for an answer to insert;
///   `POST /tickets/{id}/canned/{article}` counts the insertion as a use of the article (R9.1).
extension WebUI {
    /// The stream elements the pages carry; `live.js` finds them by id.
    static func liveQueueHook(_ html: inout HTML) {
        html.raw("<div id=\"live\" data-kind=\"queue\" data-stream=\"/live/queue\" hidden></div>\n")
    }

    func registerLivePages(on router: Router<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        Self.serveAsset(Assets.liveJS, at: "static/live.js", type: "text/javascript", on: router)
        Self.serveAsset(Assets.liveCSS, at: "static/live.css", type: "text/css", on: router)
        route(router, .get, "live/queue") { _, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            guard let live = backend.live else { throw APIError.notFound("live updates are off on this server") }
            return Self.eventStream(live.stream { _ in {} })
        }
        route(router, .get, "tickets/:id/live") { _, context, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            guard let live = backend.live else { throw APIError.notFound("live updates are off on this server") }
            let ticket = try await store.ticket(try context.parameters.require("id"))
            let name = user.name
            return Self.eventStream(
                live.stream { outbox in
                    let id = live.join(ticket: ticket.id, user: name, outbox: outbox)
                    return { live.leave(id) }
                })
        }
        route(router, .post, "tickets/:id/typing") { request, context, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            let fields = try await Fields.read(request)
            try fields.allowOnly(["typing", CSRF.field])
            let raw = try fields.text("typing", required: true)!
            guard raw == "1" || raw == "0" else {
                throw DomainError.invalidValue(field: "typing", value: raw, rule: "must be 1 (typing) or 0 (stopped)")
            }
            let ticket = try await store.ticket(try context.parameters.require("id"))
            backend.live?.setTyping(ticket: ticket.id, user: user.name, typing: raw == "1")
            return Response(status: .noContent)
        }
        for (name, kind) in [("reply", Entry.Kind.reply), ("note", Entry.Kind.note)] {
            route(router, .post, RouterPath("tickets/:id/\(name)")) { request, context, user in
                let id = try context.parameters.require("id")
                var body = ""
                do {
                    let fields = try await Fields.read(request)
                    body = try fields.text("body", required: true)!
                    let expected = try fields.text("expectedVersion").flatMap { $0.isEmpty ? nil : $0 }
                    _ = try await store.addEntry(id, kind: kind, body: body, expectedVersion: expected, actor: user.name)
                    backend.live?.setTyping(ticket: (try? await store.ticket(id))?.id ?? id, user: user.name, typing: false)
                    return Self.redirect("/tickets/\(id)")
                } catch let stale as StaleTicketError {
                    return try await stalePage(stale, ticket: id, kind: name, body: body, request: request, user: user)
                } catch {
                    let failure = APIError.from(error)
                    guard failure.status != .notFound else { throw error }
                    let message = failure.message.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    return Self.redirect("/tickets/\(id)?error=\(message)")
                }
            }
        }
        route(router, .get, "tickets/:id/canned") { request, context, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            _ = try await store.ticket(try context.parameters.require("id"))
            let query = Fields.query(request)["q"] ?? ""
            guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw DomainError.missing(field: "q")
            }
            struct Answer: Encodable {
                let id: String
                let title: String
                let body: String
                let category: String
                let hits: Int
            }
            let answers = try await store.searchArticles(query, limit: 10).map(disclosure.article).map {
                Answer(id: $0.id, title: $0.title, body: $0.body, category: $0.category, hits: $0.hits)
            }
            return try JSON.response(answers)
        }
        route(router, .post, "tickets/:id/canned/:article") { _, context, user in
            _ = try await store.ticket(try context.parameters.require("id"))
            // A use, not a resolution: inserting an answer does not say it resolved the ticket.
            let article = try await store.useArticle(try context.parameters.require("article"), ticket: nil, actor: user.name)
            return try JSON.response(["id": article.id, "hits": String(article.hits)])
        }
    }

    /// A `text/event-stream` response over `stream`, ended by the client or the server's shutdown.
    static func eventStream(_ stream: ResponseBodyStream) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache, no-store"],
            body: ResponseBody { writer in
                await stream.run { frame in try await writer.write(ByteBuffer(string: frame)) }
                try await writer.finish(nil)
            }
        )
    }

    /// The confirm step of a stale reply or note (409): what changed since the page was read, and
    /// the same text in a form carrying the ticket's current version.
    func stalePage(
        _ stale: StaleTicketError, ticket key: String, kind: String, body: String, request: Request, user: User
    ) async throws -> Response {
        let disclosure = try await backend.disclosure(.viewTickets, for: user)
        let ticket = try await backend.store.ticket(key)
        let since = Int64(stale.expected.split(separator: ".").first ?? "") ?? 0
        let newer = try await backend.store.entries(ticketID: ticket.id).filter { $0.at > since }.map(disclosure.entry)
        let lang = Self.language(request)
        return Self.page(title: "staleTitle", request: request, user: user, status: .conflict) { html, t in
            html.raw("<h1 id=\"stale-title\">")
            html.text(t["staleTitle"] ?? "")
            html.raw(" · <a href=\"/tickets/")
            html.text(ticket.id)
            html.raw("\">")
            html.text(ticket.number)
            html.raw("</a></h1>\n<p id=\"stale-help\">")
            html.text(t["staleHelp"] ?? "")
            html.raw("</p>\n<ol id=\"stale-changes\">")
            for entry in newer {
                html.raw("<li class=\"entry ")
                html.text(entry.kind.rawValue)
                html.raw("\"><time>")
                html.text(Self.time(entry.at))
                html.raw("</time> <b>")
                html.text(entry.author ?? "")
                // As the ticket page's log shows them: the kind as a word, events in the page's language.
                html.raw("</b> <span class=\"kind\">")
                html.text(Strings.label(.entryKind, entry.kind.rawValue, language: lang))
                html.raw("</span> <span class=\"body\">")
                html.text(entry.kind == .event ? Strings.event(entry.body, language: lang) : entry.body)
                html.raw("</span></li>")
            }
            if newer.isEmpty {
                html.raw("<li>")
                html.text(t["staleFieldsOnly"] ?? "")
                html.raw("</li>")
            }
            html.raw("</ol>\n<form method=\"post\" action=\"/tickets/")
            html.text(ticket.id)
            html.raw("/\(kind)\" id=\"stale-form\" class=\"card\">")
            Self.csrfField(&html)
            html.raw("<input type=\"hidden\" name=\"expectedVersion\" value=\"")
            html.text(stale.current)
            html.raw("\"><label>")
            html.text(t[kind] ?? kind)
            html.raw(" <textarea name=\"body\" id=\"stale-body\" required>")
            html.text(body)
            html.raw("</textarea></label><button id=\"stale-confirm\">")
            html.text(t["staleConfirm"] ?? "")
            html.raw("</button> <a id=\"stale-cancel\" href=\"/tickets/")
            html.text(ticket.id)
            html.raw("\">")
            html.text(t["staleCancel"] ?? "")
            html.raw("</a></form>")
        }
    }
}
