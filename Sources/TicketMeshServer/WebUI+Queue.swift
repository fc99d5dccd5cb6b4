import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

/// The queue page (issue 16): filters, one search box, sortable columns, the user's saved views
/// and bulk actions with a result per ticket. Written in Swift, not mustache: agents reload it all day.
extension WebUI {
    /// Rows of one queue page; `?limit=` asks for more (up to 1000).
    static let queuePage = 50

    /// What the queue page shows besides its rows.
    struct QueueContext {
        var filter: ReplicaStore.TicketFilter
        var language: String
        var now: Int64
        var views: [SavedView] = []
        /// The link to a longer page, when this one is full.
        var more: String?
        /// Whether the user may use the bulk actions (their role may work on tickets).
        var canBulk = true
        /// How the rows' tickets are disclosed (`Disclosure.listItem`, as each row is written; rows are
        /// kept per disclosure).
        var disclosure: Disclosure = .masked
        /// Where repeated pieces are kept, and the database version the items were read at (read
        /// before them); no cache writes every piece.
        var cache: QueueRenderCache?
        var version: Int64?
    }

    /// The queue page's content: filter form, saved views, the table of `items` (HTML-escaped) with
    /// bulk actions, and a link to `more` rows. With `context.cache`, the pieces that repeat are
    /// copied from it (`QueueRenderCache`); the page reads the same either way.
    static func queueTable(_ html: inout HTML, _ items: [QueueItem], strings t: [String: String], context: QueueContext) {
        let lang = context.language
        let frame =
            context.cache?.frame(.init(filter: context.filter, language: lang)) { queueFrame(strings: t, context: context) }
            ?? queueFrame(strings: t, context: context)
        html.append(frame.top)
        viewsBar(&html, strings: t, context: context)
        html.raw("<form method=\"post\" action=\"/queue/bulk\" id=\"bulk-form\">")
        csrfField(&html)
        html.append(frame.tableHead)
        let shelf = QueueRenderCache.Shelf(language: lang, disclosure: context.disclosure)
        let kept = context.cache?.rows(items.map(\.ticket.id), on: shelf, at: context.version) ?? Array(repeating: nil, count: items.count)
        var written: [(ticket: String, row: QueueRenderCache.Row)] = []
        let breached = t["breached"] ?? "", atRisk = t["atRisk"] ?? ""
        // Borrowed by index: a `for item in items` would copy every ticket it passes.
        for index in items.indices {
            let due = items[index].nextDueAt
            let row: QueueRenderCache.Row
            if let found = kept[index] {
                row = found
            } else {
                // Disclosed here, once per kept row: the key holds the disclosure.
                row = queueRow(context.disclosure.listItem(items[index]).ticket, due: due, language: lang)
                written.append((items[index].ticket.id, row))
            }
            html.append(row.head)
            if let due { html.raw(String(due)) }
            html.append(row.middle)
            if let due {
                // The time as written with the row, unless the due time moved (a ticket waiting on the customer).
                if row.due == due {
                    html.append(row.dueTime)
                } else {
                    time(due, into: &html)
                }
                html.raw(" <span class=\"left\">")
                Strings.duration(due - context.now, language: lang) { html.raw($0) }
                html.raw("</span>")
            }
            html.raw(" ")
            if items[index].breached {
                html.raw("<span class=\"badge breached\">")
                html.text(breached)
                html.raw("</span>")
            } else if items[index].atRisk {
                html.raw("<span class=\"badge at-risk\">")
                html.text(atRisk)
                html.raw("</span>")
            }
            html.raw("</td></tr>")
        }
        context.cache?.keep(written, on: shelf, at: context.version)
        if items.isEmpty {
            html.raw("<tr><td colspan=\"7\">")
            html.text(t["empty"] ?? "empty")
            html.raw("</td></tr>")
        }
        html.raw("\n</tbody></table>\n")
        if context.canBulk, !items.isEmpty {
            if let cache = context.cache {
                html.append(cache.bulk(lang) { bulkControls(strings: t, language: lang) })
            } else {
                html.append(bulkControls(strings: t, language: lang))
            }
        }
        html.raw("</form>\n")
        if let more = context.more {
            html.raw("<p><a id=\"queue-more\" href=\"")
            html.text(more)
            html.raw("\">")
            html.text(t["more"] ?? "more")
            html.raw("</a></p>")
        }
    }

    /// What a queue page of `context.filter` shows around its rows that depends on nothing in the
    /// replica: heading and filter form; the table head with its sort links.
    static func queueFrame(strings t: [String: String], context: QueueContext) -> QueueRenderCache.Frame {
        let filter = context.filter
        var top = HTML(capacity: 8 * 1024)
        top.raw("<h1>")
        top.text(t["queue"] ?? "queue")
        top.raw("</h1>\n")
        filterForm(&top, strings: t, context: context)
        var head = HTML(capacity: 2 * 1024)
        func word(_ key: String) { head.text(t[key] ?? key) }
        head.raw("\n<table id=\"queue\"><thead><tr><th><input type=\"checkbox\" id=\"select-all\" aria-label=\"")
        word("selectAll")
        head.raw("\"></th>")
        let columns: [(String, QueueSort.Key?)] = [
            ("number", .number), ("summary", nil), ("state", .state), ("urgency", .urgency), ("assignee", .assignee), ("due", .due),
        ]
        for (key, sortKey) in columns {
            head.raw("<th>")
            guard let sortKey else {
                word(key)
                head.raw("</th>")
                continue
            }
            // A column's link sorts by it; on the sorted column it reverses the order.
            var next = filter
            next.sort = QueueSort(sortKey, descending: filter.sort.key == sortKey && !filter.sort.descending)
            head.raw("<a class=\"sort\" id=\"sort-\(sortKey.rawValue)\" href=\"/queue?")
            head.text(next.queryString)
            head.raw("\">")
            word(key)
            head.raw("</a>")
            if filter.sort.key == sortKey {
                head.raw(" <span class=\"sorted\" title=\"")
                word(filter.sort.descending ? "sortDescending" : "sortAscending")
                head.raw("\">\(filter.sort.descending ? "▼" : "▲")</span>")
            }
            head.raw("</th>")
        }
        head.raw("</tr></thead><tbody>\n")
        return .init(top: top.bytes, tableHead: head.bytes)
    }

    /// A ticket's queue row in `language`, but for what moves with the clock: up to the value of
    /// its `data-due` attribute, and from there up to the content of its due cell; with the due
    /// time `due` as the cell writes it.
    static func queueRow(_ ticket: borrowing Ticket, due: Int64?, language: String) -> QueueRenderCache.Row {
        var head = HTML(capacity: 128)
        head.raw("<tr class=\"ticket-row\" data-number=\"")
        head.text(ticket.number)
        head.raw("\" data-state=\"")
        head.text(ticket.state)
        head.raw("\" data-due=\"")
        var middle = HTML(capacity: 512)
        middle.raw("\">\n<td><input type=\"checkbox\" class=\"pick\" name=\"tickets\" value=\"")
        middle.text(ticket.id)
        middle.raw("\"></td><td><a href=\"/tickets/")
        middle.text(ticket.id)
        middle.raw("\">")
        middle.text(ticket.number)
        middle.raw("</a></td><td>")
        middle.text(ticket.summary)
        middle.raw("</td><td><span class=\"state\">")
        middle.text(Strings.label(.state, ticket.state, language: language))
        middle.raw("</span></td>\n<td>")
        middle.text(Strings.label(.urgency, ticket.urgency, language: language))
        middle.raw("</td><td>")
        middle.text(ticket.assignee ?? "")
        middle.raw("</td>\n<td>")
        var dueTime = HTML(capacity: 16)
        if let due { time(due, into: &dueTime) }
        return .init(head: head.bytes, middle: middle.bytes, due: due, dueTime: dueTime.bytes)
    }

    /// A `<select>` of `values` shown as their words, `selected` chosen; with `empty`, a first option
    /// of value "" reading so ("any" in the filters, "—" in forms). The id is `filter-NAME` unless given.
    static func selectField(
        _ html: inout HTML, name: String, id: String? = nil, values: [String], selected: String? = nil, empty: String?,
        label: (String) -> String
    ) {
        html.raw("<select name=\"\(name)\" id=\"\(id ?? "filter-" + name)\">")
        if let empty {
            html.raw("<option value=\"\">")
            html.text(empty)
            html.raw("</option>")
        }
        for value in values {
            html.raw("<option value=\"")
            html.text(value)
            html.raw(value == selected ? "\" selected>" : "\">")
            html.text(label(value))
            html.raw("</option>")
        }
        html.raw("</select>")
    }

    /// The filter and search form (GET, so a filtered queue is a link).
    static func filterForm(_ html: inout HTML, strings t: [String: String], context: QueueContext) {
        let filter = context.filter
        let lang = context.language
        func open(_ key: String) {
            html.raw("<label>")
            html.text(t[key] ?? key)
            html.raw(" ")
        }
        func input(_ key: String, _ name: String, _ value: String?, hint: String? = nil) {
            open(key)
            html.raw("<input name=\"\(name)\" id=\"filter-\(name)\" value=\"")
            html.text(value ?? "")
            if let hint {
                html.raw("\" placeholder=\"")
                html.text(hint)
            }
            html.raw("\"></label>")
        }
        func choice(_ key: String, _ name: String, _ values: [String], _ selected: String?, _ label: (String) -> String) {
            open(key)
            selectField(&html, name: name, values: values, selected: selected, empty: t["any"] ?? "", label: label)
            html.raw("</label>")
        }
        html.raw("<form method=\"get\" action=\"/queue\" id=\"filter-form\" class=\"filters\">")
        input("search", "q", filter.search, hint: t["searchHint"])
        choice("state", "state", TicketState.allCases.map(\.rawValue), filter.state) { Strings.label(.state, $0, language: lang) }
        choice("urgency", "urgency", Urgency.allCases.map(\.rawValue), filter.urgency) { Strings.label(.urgency, $0, language: lang) }
        choice("channel", "channel", Channel.allCases.map(\.rawValue), filter.channel) { Strings.label(.channel, $0, language: lang) }
        let clock: String? =
            switch filter.clock {
            case nil: nil
            case .breached: "breached"
            case .atRisk: "at-risk"
            case .attention: "attention"
            }
        choice("clockFilter", "clock", ["breached", "at-risk", "attention"], clock) { value in
            switch value {
            case "breached": t["breached"] ?? value
            case "at-risk": t["atRisk"] ?? value
            default: t["attention"] ?? value
            }
        }
        input("type", "type", filter.type)
        input("assignee", "assignee", filter.assignee)
        input("department", "department", filter.department)
        input("customer", "customer", filter.customerId)
        if filter.sort != .due {
            html.raw("<input type=\"hidden\" name=\"sort\" value=\"")
            html.text(filter.sort.description)
            html.raw("\">")
        }
        html.raw("<button id=\"filter-submit\">")
        html.text(t["filter"] ?? "")
        html.raw("</button> <a id=\"filter-clear\" href=\"/queue\">")
        html.text(t["clear"] ?? "")
        html.raw("</a></form>\n")
    }

    /// The user's saved views as links, each with a delete button, and the form that saves this one.
    static func viewsBar(_ html: inout HTML, strings t: [String: String], context: QueueContext) {
        html.raw("<section class=\"views\" id=\"views\"><strong>")
        html.text(t["views"] ?? "")
        html.raw("</strong> ")
        if context.views.isEmpty {
            html.raw("<span id=\"no-views\">")
            html.text(t["noViews"] ?? "")
            html.raw("</span>")
        }
        for view in context.views {
            html.raw("<span class=\"view\"><a class=\"view-link\" href=\"/queue?")
            html.text(view.query.isEmpty ? "view=" + view.id : view.query + "&view=" + view.id)
            html.raw("\">")
            html.text(view.name)
            html.raw("</a><form method=\"post\" action=\"/queue/views/")
            html.text(view.id)
            html.raw("/delete\" class=\"inline\">")
            csrfField(&html)
            html.raw("<button class=\"view-delete\" title=\"")
            html.text(t["delete"] ?? "")
            html.raw("\">×</button></form></span> ")
        }
        html.raw("<form method=\"post\" action=\"/queue/views\" id=\"save-view-form\" class=\"inline\">")
        csrfField(&html)
        html.raw("<input type=\"hidden\" name=\"query\" value=\"")
        html.text(context.filter.queryString)
        html.raw("\"><input name=\"name\" id=\"view-name\" required placeholder=\"")
        html.text(t["viewName"] ?? "")
        html.raw("\"><button id=\"save-view\">")
        html.text(t["saveView"] ?? "")
        html.raw("</button></form></section>\n")
    }

    /// The bulk action controls under the table (inside the bulk form).
    static func bulkControls(strings t: [String: String], language: String) -> [UInt8] {
        var html = HTML(capacity: 1024)
        html.raw("<fieldset class=\"bulk\" id=\"bulk\"><legend>")
        html.text(t["bulk"] ?? "")
        html.raw("</legend><label><input type=\"radio\" name=\"action\" value=\"assign\" id=\"bulk-assign\"> ")
        html.text(t["bulkAssign"] ?? "")
        html.raw("</label> <input name=\"to\" id=\"bulk-to\"> <label><input type=\"radio\" name=\"action\" value=\"state\" id=\"bulk-state\"> ")
        html.text(t["bulkState"] ?? "")
        html.raw("</label> ")
        selectField(&html, name: "state", id: "bulk-state-value", values: ReplicaStore.bulkStates.map(\.rawValue), empty: nil) {
            Strings.label(.state, $0, language: language)
        }
        html.raw(" <label><input type=\"radio\" name=\"action\" value=\"close\" id=\"bulk-close\" checked> ")
        html.text(t["bulkClose"] ?? "")
        html.raw("</label> <button id=\"bulk-submit\">")
        html.text(t["apply"] ?? "")
        html.raw("</button></fieldset>\n")
        return html.bytes
    }

    /// The result of a bulk action: one row per ticket, done or failed with the reason.
    static func bulkResults(_ html: inout HTML, _ results: [BulkResult], strings t: [String: String], language: String) {
        html.raw("<h1>")
        html.text(t["bulkResults"] ?? "")
        html.raw("</h1>\n<table id=\"bulk-results\"><thead><tr><th>")
        html.text(t["ticket"] ?? "")
        html.raw("</th><th>")
        html.text(t["status"] ?? "")
        html.raw("</th><th>")
        html.text(t["reason"] ?? "")
        html.raw("</th></tr></thead><tbody>\n")
        for result in results {
            html.raw(result.ok ? "<tr class=\"bulk-result ok\" data-ticket=\"" : "<tr class=\"bulk-result failed\" data-ticket=\"")
            html.text(result.ticket)
            html.raw("\"><td>")
            html.text(result.number ?? result.ticket)
            html.raw("</td><td>")
            html.text(t[result.ok ? "done" : "failed"] ?? "")
            html.raw("</td><td class=\"reason\">")
            html.text(result.error.map { Strings.refusal($0, language: language) } ?? "")
            html.raw("</td></tr>\n")
        }
        html.raw("</tbody></table>\n<p><a id=\"back-to-queue\" href=\"/queue\">")
        html.text(t["backToQueue"] ?? "")
        html.raw("</a></p>")
    }

    func registerQueuePages(on router: Router<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        // Read-only and the most loaded page: read at one version (one probe per load).
        route(router, .get, "queue", atOneVersion: true) { request, _, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            let filter = try API.filter(request, defaultLimit: Self.queuePage)
            let now = store.configuration.now()
            // Before the items: rows kept under this version show tickets at least as new.
            let version = try store.dataVersion()
            // Disclosed as each row is written (`queueTable`). An SLA-ordered queue is kept until a
            // badge could change (`QueueRenderCache`, "Queues").
            let items: [QueueItem]
            if filter.sort == .due, filter.clock == nil {
                if let kept = renderCache.queue(filter, at: version, now: now) {
                    items = kept
                } else {
                    let page = try await store.slaQueuePage(filter, now: now)
                    items = page.items
                    if let until = page.stableUntil { renderCache.keep(queue: items, of: filter, at: version, from: now, until: until) }
                }
            } else {
                items = try await store.queue(filter, now: now)
            }
            var context = QueueContext(filter: filter, language: Self.language(request), now: now)
            context.disclosure = disclosure
            context.cache = renderCache
            context.version = version
            context.views = try await store.views(owner: user.name)
            context.canBulk = user.role.allows(.editTicket)
            // A page at a time: a full page offers the next one, as a longer list in the same order.
            if items.count == filter.limit, filter.limit < 1000 {
                let query = filter.queryString
                context.more = "/queue?" + (query.isEmpty ? "" : query + "&") + "limit=\(min(1000, filter.limit + Self.queuePage))"
            }
            return Self.page(title: "queue", request: request, user: user) { html, strings in
                Self.queueTable(&html, items, strings: strings, context: context)
                Self.liveQueueHook(&html)
            }
        }
        route(router, .post, "queue/views") { request, _, user in
            let fields = try await Fields.read(request)
            let name = try fields.text("name", required: true, limit: 80)!
            let parameters = ReplicaStore.TicketFilter.parameters(ofQuery: try fields.text("query") ?? "")
            let filter = try ReplicaStore.TicketFilter(parameters: parameters, limit: Self.queuePage)
            let view = try await store.saveView(name: name, filter: filter, actor: user.name)
            return Self.redirect("/queue?" + (view.query.isEmpty ? "" : view.query + "&") + "view=" + view.id)
        }
        route(router, .post, "queue/views/:id/delete") { _, context, user in
            try await store.deleteView(try context.parameters.require("id"), actor: user.name)
            return Self.redirect("/queue")
        }
        route(router, .post, "queue/bulk") { request, _, user in
            let fields = try await Fields.read(request)
            let action = try API.bulkAction(
                try fields.text("action") ?? "close", to: try fields.text("to"), state: try fields.text("state"))
            let results = try await store.bulk(action, tickets: try fields.stringList("tickets"), actor: user.name)
            return Self.page(title: "bulkResults", request: request, user: user) { html, strings in
                Self.bulkResults(&html, results, strings: strings, language: Self.language(request))
            }
        }
    }
}
