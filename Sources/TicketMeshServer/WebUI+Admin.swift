import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

/// Supervisor and admin pages (issue 16 item 5; Docs/web.md "Admin pages"): conflict review with
/// winner and loser side by side (R11.4), the request-type tree (R2.1), users and roles; SLA
/// policies and calendars are in WebUI+SLA.swift. The store checks roles
/// as for the CLI and API: the pages show what the user may read; a refused write comes back as
/// the page with the rule.
extension WebUI {
    func registerAdminPages(on router: Router<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(router, .get, "admin") { request, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            let conflicts = try await store.unresolvedConflicts(actor: user.name).count
            let types = try await store.requestTypes().nodes.count
            let policies = try await store.slaPolicies().count
            return Self.page(title: "admin", request: request, user: user) { html, t in
                html.raw("<h1>")
                html.text(t["admin"] ?? "")
                html.raw("</h1>\n<ul id=\"admin-sections\"><li><a id=\"admin-conflicts-link\" href=\"/admin/conflicts\">")
                html.text(t["adminConflicts"] ?? "")
                html.raw("</a> (\(conflicts))</li><li><a id=\"admin-types-link\" href=\"/admin/types\">")
                html.text(t["adminTypes"] ?? "")
                html.raw("</a> (\(types))</li><li><a id=\"admin-users-link\" href=\"/admin/users\">")
                html.text(t["adminUsers"] ?? "")
                html.raw("</a></li><li><a id=\"admin-sla-link\" href=\"/admin/sla\">")
                html.text(t["adminSLA"] ?? "")
                html.raw("</a> (\(policies))</li></ul>")
            }
        }
        route(router, .get, "admin/types") { request, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            let nodes = try await store.requestTypes().nodes.values.sorted { $0.path < $1.path }
            return Self.typesPage(nodes, request: request, user: user)
        }
        route(router, .post, "admin/types") { request, _, user in
            do {
                let fields = try await Fields.read(request)
                let state = try fields.text("active")
                let active: Bool? = state == "1" ? true : state == "0" ? false : nil
                _ = try await store.saveRequestType(
                    path: try fields.text("path", required: true)!, label: try fields.text("label"), active: active, actor: user.name)
                return Self.redirect("/admin/types")
            } catch {
                let failure = APIError.from(error)
                let nodes = try await store.requestTypes().nodes.values.sorted { $0.path < $1.path }
                return Self.typesPage(nodes, request: request, user: user, status: failure.status, flash: failure.message)
            }
        }
        route(router, .get, "admin/users") { request, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            return Self.usersPage(try await store.users(), request: request, user: user)
        }
        route(router, .post, "admin/users") { request, _, user in
            do {
                _ = try await API.saveUser(try await Fields.read(request), store: store, actor: user.name)
                return Self.redirect("/admin/users")
            } catch {
                let failure = APIError.from(error)
                return Self.usersPage(try await store.users(), request: request, user: user, status: failure.status, flash: failure.message)
            }
        }
        route(router, .get, "admin/conflicts") { request, _, user in
            let conflicts = try await store.unresolvedConflicts(actor: user.name)
            return Self.conflictsPage(conflicts, request: request, user: user)
        }
        route(router, .post, "admin/conflicts/:id") { request, context, user in
            let id = try context.parameters.require("id")
            do {
                let fields = try await Fields.read(request)
                let choice = try API.conflictChoice(keep: try fields.text("keep"), value: try fields.text("value"))
                _ = try await store.resolveConflict(id, choice: choice, actor: user.name)
                return Self.redirect("/admin/conflicts")
            } catch {
                let failure = APIError.from(error)
                let conflicts = try await store.unresolvedConflicts(actor: user.name)
                return Self.conflictsPage(conflicts, request: request, user: user, status: failure.status, flash: failure.message)
            }
        }
    }

    static func typesPage(
        _ nodes: [RequestTypeTree.Node], request: Request, user: User, status: HTTPResponse.Status = .ok, flash: String? = nil
    ) -> Response {
        page(title: "adminTypes", request: request, user: user, status: status, flash: flash) { html, t in
            html.raw("<h1>")
            html.text(t["adminTypes"] ?? "")
            html.raw("</h1>\n<table id=\"types\"><thead><tr><th>")
            html.text(t["path"] ?? "")
            html.raw("</th><th>")
            html.text(t["label"] ?? "")
            html.raw("</th><th>")
            html.text(t["status"] ?? "")
            html.raw("</th></tr></thead><tbody>\n")
            for node in nodes {
                html.raw("<tr class=\"type\(node.path.contains("/") ? " subtype" : "")\" data-path=\"")
                html.text(node.path)
                html.raw("\"><td><code>")
                html.text(node.path)
                html.raw("</code></td><td>")
                html.text(node.label)
                html.raw("</td><td>")
                html.text(node.active ? (t["typeActive"] ?? "") : (t["typeRetired"] ?? ""))
                html.raw("</td></tr>\n")
            }
            html.raw("</tbody></table>\n")
            guard user.role.allows(.manageRequestTypes) else { return }
            html.raw("<form method=\"post\" action=\"/admin/types\" id=\"type-form\" class=\"card\">")
            csrfField(&html)
            html.raw("<label>")
            html.text(t["path"] ?? "")
            html.raw(" <input name=\"path\" id=\"type-path\" required placeholder=\"complaint/delivery\"></label><label>")
            html.text(t["label"] ?? "")
            html.raw(" <input name=\"label\" id=\"type-label\"></label><label>")
            html.text(t["status"] ?? "")
            html.raw(" <select name=\"active\" id=\"type-active\"><option value=\"\">—</option><option value=\"1\">")
            html.text(t["typeActive"] ?? "")
            html.raw("</option><option value=\"0\">")
            html.text(t["typeRetired"] ?? "")
            html.raw("</option></select></label><button id=\"type-submit\">")
            html.text(t["save"] ?? "")
            html.raw("</button></form>")
        }
    }

    static func usersPage(
        _ users: [User], request: Request, user: User, status: HTTPResponse.Status = .ok, flash: String? = nil
    ) -> Response {
        let lang = Self.language(request)
        return page(title: "adminUsers", request: request, user: user, status: status, flash: flash) { html, t in
            html.raw("<h1>")
            html.text(t["adminUsers"] ?? "")
            html.raw("</h1>\n<table id=\"users\"><thead><tr>")
            for key in ["user", "role", "name", "department", "status"] {
                html.raw("<th>")
                html.text(t[key] ?? key)
                html.raw("</th>")
            }
            html.raw("</tr></thead><tbody>\n")
            for shown in users {
                html.raw("<tr class=\"user\" data-user=\"")
                html.text(shown.name)
                html.raw("\"><td>")
                html.text(shown.name)
                html.raw("</td><td class=\"role\" data-role=\"\(shown.role.rawValue)\">")
                html.text(Strings.label(.role, shown.role.rawValue, language: lang))
                html.raw("</td><td>")
                html.text(shown.displayName ?? "")
                html.raw("</td><td>")
                html.text(shown.department ?? "")
                html.raw("</td><td class=\"active\">")
                html.text(shown.active ? (t["typeActive"] ?? "") : (t["userInactive"] ?? ""))
                html.raw("</td></tr>\n")
            }
            html.raw("</tbody></table>\n<p class=\"meta\">")
            html.text(t["passwordCLI"] ?? "")
            html.raw("</p>")
            guard user.role.allows(.manageUsers) else { return }
            html.raw("<form method=\"post\" action=\"/admin/users\" id=\"user-form\" class=\"card\">")
            csrfField(&html)
            html.raw("<label>")
            html.text(t["user"] ?? "")
            html.raw(" <input name=\"name\" id=\"user-name\" required></label><label>")
            html.text(t["role"] ?? "")
            html.raw(" ")
            selectField(&html, name: "role", id: "user-role", values: Role.allCases.map(\.rawValue), empty: "—") {
                Strings.label(.role, $0, language: lang)
            }
            html.raw("</label><label>")
            html.text(t["name"] ?? "")
            html.raw(" <input name=\"displayName\" id=\"user-display\"></label><label>")
            html.text(t["department"] ?? "")
            html.raw(" <input name=\"department\" id=\"user-department\"></label><label>")
            html.text(t["status"] ?? "")
            html.raw(" <select name=\"active\" id=\"user-active\"><option value=\"\">—</option><option value=\"true\">")
            html.text(t["typeActive"] ?? "")
            html.raw("</option><option value=\"false\">")
            html.text(t["userInactive"] ?? "")
            html.raw("</option></select></label><button id=\"user-submit\">")
            html.text(t["save"] ?? "")
            html.raw("</button></form>")
        }
    }

    static func conflictsPage(
        _ conflicts: [Conflict], request: Request, user: User, status: HTTPResponse.Status = .ok, flash: String? = nil
    ) -> Response {
        page(title: "adminConflicts", request: request, user: user, status: status, flash: flash) { html, t in
            html.raw("<h1>")
            html.text(t["adminConflicts"] ?? "")
            html.raw("</h1>\n<p class=\"meta\">")
            html.text(t["conflictsHelp"] ?? "")
            html.raw("</p>\n")
            if conflicts.isEmpty {
                html.raw("<p id=\"conflicts-none\">")
                html.text(t["noConflicts"] ?? "")
                html.raw("</p>")
            }
            let mayResolve = user.role.allows(.resolveConflicts)
            for conflict in conflicts {
                html.raw("<section class=\"conflict-review\" data-conflict=\"")
                html.text(conflict.id)
                html.raw("\"><h2>")
                if conflict.entity == "ticket" {
                    html.raw("<a href=\"/tickets/")
                    html.text(conflict.rowID)
                    html.raw("\">")
                    html.text(conflict.entity)
                    html.raw("</a>")
                } else {
                    html.text(conflict.entity)
                }
                html.raw(" · <code>")
                html.text(conflict.field)
                html.raw("</code></h2><div class=\"sides\">")
                for (key, side) in [("winner", conflict.winner), ("loser", conflict.loser)] {
                    html.raw("<div class=\"side \(key)\"><h3>")
                    html.text(t[key] ?? key)
                    html.raw("</h3><p class=\"value\">")
                    html.text(side.value ?? "∅")
                    html.raw("</p><p class=\"meta\">")
                    html.text(side.site)
                    html.raw(" · ")
                    html.text(side.actor ?? "—")
                    html.raw(" · ")
                    html.text(side.at)
                    html.raw("</p>")
                    if mayResolve {
                        html.raw("<form method=\"post\" action=\"/admin/conflicts/")
                        html.text(conflict.id)
                        html.raw("\" class=\"inline\">")
                        csrfField(&html)
                        html.raw("<input type=\"hidden\" name=\"keep\" value=\"\(key)\"><button class=\"keep-\(key)\">")
                        html.text(t[key == "winner" ? "keepWinner" : "keepLoser"] ?? "")
                        html.raw("</button></form>")
                    }
                    html.raw("</div>")
                }
                html.raw("</div>")
                if mayResolve {
                    html.raw("<form method=\"post\" action=\"/admin/conflicts/")
                    html.text(conflict.id)
                    html.raw("\" class=\"new-value\">")
                    csrfField(&html)
                    html.raw("<label>")
                    html.text(t["newValue"] ?? "")
                    html.raw(" <input name=\"value\" required></label><button class=\"use-value\">")
                    html.text(t["useValue"] ?? "")
                    html.raw("</button></form>")
                }
                html.raw("</section>\n")
            }
        }
    }
}
