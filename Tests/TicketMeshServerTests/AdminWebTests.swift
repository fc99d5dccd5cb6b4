import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshServer
import TicketMeshStore

/// Supervisor and admin pages and routes (issue 16 item 5): the request-type tree and conflict review.
@Suite(.timeLimit(.minutes(2)))
struct AdminWebTests {
    let form = "application/x-www-form-urlencoded"

    /// Every block `from` has that `to` lacks, then `to` settles (one sync direction).
    func deliver(from: ReplicaStore, to: ReplicaStore) async throws {
        _ = try await to.apply(try await from.blocks(after: try await to.heads(), cursor: nil, limit: Int.max))
        try await to.settle()
    }

    @Test func requestTypesThroughTheAPIAndThePage() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let admin = try await server.login(.admin)
            let agent = try await server.login(.agent)
            let listed = try await server.request("GET", "/api/request-types", token: agent)
            #expect(listed.status == 200)
            #expect(listed.array.contains { $0["path"] as? String == "complaint/service" && $0["active"] as? Bool == true })

            let refused = try await server.request(
                "POST", "/api/request-types", token: agent, json: ["path": "complaint/delivery", "label": "配送"])
            #expect(refused.status == 403)
            #expect(refused.message.contains("change the request-type tree"))
            let bad = try await server.request("POST", "/api/request-types", token: admin, json: ["path": "billing/refund", "label": "x"])
            #expect(bad.status == 404)
            #expect(bad.message.contains("unknown request-type category 'billing'"))
            let noLabel = try await server.request("POST", "/api/request-types", token: admin, json: ["path": "complaint/delivery"])
            #expect(noLabel.status == 400)
            #expect(noLabel.message.contains("missing label"))
            let notBool = try await server.request(
                "POST", "/api/request-types", token: admin, json: ["path": "complaint/service", "label": "服务", "active": "maybe"])
            #expect(notBool.status == 400)
            #expect(notBool.message.contains("active"))

            let saved = try await server.request(
                "POST", "/api/request-types", token: admin, json: ["path": "complaint/delivery", "label": "配送"])
            #expect(saved.status == 200)
            #expect(saved.object["active"] as? Bool == true)
            let ticket = try await server.request(
                "POST", "/api/tickets", token: agent,
                json: ["customerId": "C0001", "channel": "phone", "type": "complaint/delivery", "urgency": "normal", "summary": "送错地址"])
            #expect(ticket.status == 201)

            // The page: everyone reads the tree; only admins get the form, and its writes go through the store.
            let agentPage = try await server.request("GET", "/admin/types", cookie: "tm_session=\(agent)")
            #expect(agentPage.status == 200)
            #expect(agentPage.text.contains("data-path=\"complaint/delivery\""))
            #expect(!agentPage.text.contains("id=\"type-form\""))
            let adminPage = try await server.request("GET", "/admin/types", cookie: "tm_session=\(admin)")
            #expect(adminPage.text.contains("id=\"type-form\""))
            let csrf = try #require(adminPage.csrfToken)
            let retired = try await server.request(
                "POST", "/admin/types", raw: "path=complaint%2Fdelivery&label=&active=0&csrf=\(csrf)", cookie: "tm_session=\(admin)",
                contentType: form)
            #expect(retired.status == 200)
            #expect(try await server.store.requestTypes().nodes["complaint/delivery"]?.active == false)
            let invalid = try await server.request(
                "POST", "/admin/types", raw: "path=a&label=x&csrf=\(csrf)", cookie: "tm_session=\(admin)", contentType: form)
            #expect(invalid.status == 400)
            #expect(invalid.text.contains("路径「a」无效：须为「分类」或「分类/子类」"), "\(invalid.text)")
        }
    }

    @Test func usersAndRolesThroughTheAPIAndThePage() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let admin = try await server.login(.admin)
            let agent = try await server.login(.agent)
            let listed = try await server.request("GET", "/api/users", token: agent)
            #expect(listed.status == 200)
            #expect(listed.array.contains { $0["name"] as? String == "supervisor" && $0["role"] as? String == "supervisor" })
            #expect(!listed.text.contains("$2"))  // no hash, ever

            let refused = try await server.request("POST", "/api/users", token: agent, json: ["name": "zhao", "role": "agent"])
            #expect(refused.status == 403)
            let noRole = try await server.request("POST", "/api/users", token: admin, json: ["name": "zhao"])
            #expect(noRole.status == 404)
            #expect(noRole.message.contains("unknown user 'zhao'"))
            let nullActive = try await server.request("POST", "/api/users", token: admin, json: ["name": "agent", "active": NSNull()])
            #expect(nullActive.status == 400)
            let badRole = try await server.request("POST", "/api/users", token: admin, json: ["name": "zhao", "role": "boss"])
            #expect(badRole.status == 400)
            #expect(badRole.message.contains("invalid role 'boss'"))
            let created = try await server.request(
                "POST", "/api/users", token: admin, json: ["name": "zhao", "role": "agent", "department": "售后"])
            #expect(created.status == 201)
            #expect(try await server.store.user(named: "zhao")?.department == "售后")
            let lastAdmin = try await server.request("POST", "/api/users", token: admin, json: ["name": "admin", "role": "agent"])
            #expect(lastAdmin.status == 409)
            #expect(lastAdmin.message.contains("last active admin"))

            let page = try await server.request("GET", "/admin/users", cookie: "tm_session=\(admin)")
            #expect(page.text.contains("data-user=\"zhao\""))
            let csrf = try #require(page.csrfToken)
            let demoted = try await server.request(
                "POST", "/admin/users", raw: "name=zhao&role=specialist&active=false&csrf=\(csrf)", cookie: "tm_session=\(admin)",
                contentType: form)
            #expect(demoted.status == 200)
            let zhao = try #require(try await server.store.user(named: "zhao"))
            #expect(zhao.role == .specialist && !zhao.active)
            // Roles read as words of the page's language (Strings+Labels), the stored value in attributes.
            let zhPage = try await server.request("GET", "/admin/users", cookie: "tm_session=\(admin)")
            #expect(zhPage.text.contains("<td class=\"role\" data-role=\"specialist\">专员</td>"))
            #expect(zhPage.text.contains("<option value=\"specialist\">专员</option>"))
            let enPage = try await server.request("GET", "/admin/users?lang=en", cookie: "tm_session=\(admin)")
            #expect(enPage.text.contains("<td class=\"role\" data-role=\"specialist\">Specialist</td>"))
            let agentPage = try await server.request("GET", "/admin/users", cookie: "tm_session=\(agent)")
            #expect(agentPage.status == 200 && !agentPage.text.contains("id=\"user-form\""))
        }
    }

    @Test func conflictReviewShowsBothSidesAndResolves() async throws {
        let store = try await TestServer.makeStore()
        let branch = try ReplicaStore.inMemory(site: SiteCode("SH"))
        let ticket = try await store.createTicket(
            TicketDraft(customerId: "C0001", channel: "phone", type: "complaint/service", urgency: "normal", summary: "原始摘要"),
            actor: "agent")
        try await deliver(from: store, to: branch)
        _ = try await store.updateTicket(ticket.id, fields: ["summary": "总部写的摘要"], actor: "agent")
        _ = try await branch.updateTicket(ticket.id, fields: ["summary": "分部写的摘要"], actor: "agent")
        try await deliver(from: store, to: branch)
        try await deliver(from: branch, to: store)
        let conflict = try #require(try await store.unresolvedConflicts().first)

        try await TestServer.with(store) { server in
            let supervisor = try await server.login(.supervisor)
            let agent = try await server.login(.agent)
            let page = try await server.request("GET", "/admin/conflicts", cookie: "tm_session=\(supervisor)")
            #expect(page.status == 200)
            #expect(page.text.contains("data-conflict=\"\(conflict.id)\""))
            #expect(page.text.contains("总部写的摘要") && page.text.contains("分部写的摘要"))
            #expect(page.text.contains("class=\"keep-loser\""))
            let agentPage = try await server.request("GET", "/admin/conflicts", cookie: "tm_session=\(agent)")
            #expect(!agentPage.text.contains("class=\"keep-loser\""))  // agents may not resolve

            let refused = try await server.request(
                "POST", "/api/conflicts/\(conflict.id)/resolution", token: agent, json: ["keep": "loser"])
            #expect(refused.status == 403)
            let both = try await server.request(
                "POST", "/api/conflicts/\(conflict.id)/resolution", token: supervisor, json: ["keep": "loser", "value": "x"])
            #expect(both.status == 400)
            let unknown = try await server.request("POST", "/api/conflicts/XX:1/resolution", token: supervisor, json: ["keep": "winner"])
            #expect(unknown.status == 404)
            let malformed = try await server.request("POST", "/api/conflicts/0/resolution", token: supervisor, json: ["keep": "winner"])
            #expect(malformed.status == 404)

            let csrf = try #require(page.csrfToken)
            let resolved = try await server.request(
                "POST", "/admin/conflicts/\(conflict.id)", raw: "keep=loser&csrf=\(csrf)", cookie: "tm_session=\(supervisor)",
                contentType: form)
            #expect(resolved.status == 200)
            #expect(resolved.text.contains("id=\"conflicts-none\""))
            #expect(try await server.store.ticket(ticket.id).summary == conflict.loser.value)
        }
    }
}
