import Foundation
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

@Suite(.timeLimit(.minutes(2)))
struct APITests {
    @Test func loginIssuesTokenAndRefusesWrongPassword() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let token = try await server.login(.agent)
            #expect(token.count == 64)
            let me = try await server.request("GET", "/api/me", token: token)
            #expect(me.status == 200)
            #expect(me.object["name"] as? String == "agent")
            #expect(me.object["role"] as? String == "agent")
            let wrong = try await server.request(
                "POST",
                "/api/login",
                json: ["user": "agent", "password": "nope-nope"]
            )
            #expect(wrong.status == 401)
            #expect(wrong.message.contains("wrong user name or password"))
            let unknown = try await server.request(
                "POST",
                "/api/login",
                json: ["user": "ghost", "password": "password-ghost"]
            )
            #expect(unknown.status == 401)
            let missing = try await server.request("POST", "/api/login", json: ["user": "agent"])
            #expect(missing.status == 400)
            #expect(missing.message.contains("password"))
            let logout = try await server.request("POST", "/api/logout", token: token)
            #expect(logout.status == 204)
            #expect(try await server.request("GET", "/api/me", token: token).status == 401)
        }
    }

    @Test func openModeRefusesEveryLogin() async throws {
        try await TestServer.with(try await TestServer.makeStore(users: false)) { server in
            let reply = try await server.request(
                "POST",
                "/api/login",
                json: ["user": "admin", "password": "whatever1"]
            )
            #expect(reply.status == 401)
            #expect(reply.message.contains("ticketmesh user password"))
            #expect(try await server.request("GET", "/api/tickets").status == 401)
        }
    }

    @Test func refusesEveryRouteWithoutAValidToken() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let routes: [(String, String)] = [
                ("GET", "/api/me"), ("POST", "/api/logout"), ("GET", "/api/tickets"), ("POST", "/api/tickets"),
                ("GET", "/api/tickets/x"),
                ("PATCH", "/api/tickets/x"), ("POST", "/api/tickets/x/assign"), ("POST", "/api/tickets/x/escalate"),
                ("POST", "/api/tickets/x/resolve"), ("POST", "/api/tickets/x/close"), ("POST", "/api/tickets/x/reopen"),
                ("POST", "/api/tickets/x/state"), ("POST", "/api/tickets/x/rating"), ("POST", "/api/tickets/x/notes"),
                ("POST", "/api/tickets/x/replies"), ("GET", "/api/customers"), ("POST", "/api/customers"),
                ("GET", "/api/customers/C0001"),
                ("GET", "/api/kb?q=x"), ("GET", "/api/conflicts"), ("GET", "/api/status"),
            ]
            for (method, path) in routes {
                let none = try await server.request(method, path, json: [:])
                #expect(none.status == 401, "\(method) \(path) without token")
                #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
                let bad = try await server.request(method, path, token: String(repeating: "0", count: 64), json: [:])
                #expect(bad.status == 401, "\(method) \(path) with unknown token")
            }
            #expect(try await server.store.ticketCount() == 0)
        }
    }

    @Test func ticketLifecycleOverHTTP() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let created = try await server.createTicket(agent)
            let id = try #require(created["id"] as? String)
            let number = try #require(created["number"] as? String)
            #expect(number.hasPrefix("CS-") && number.contains("-HQ-"))
            #expect(created["state"] as? String == "new")

            let reply = try await server.request(
                "POST",
                "/api/tickets/\(id)/replies",
                token: agent,
                json: ["body": "已联系快递公司"]
            )
            #expect(reply.status == 201)
            #expect(reply.object["kind"] as? String == "reply")
            #expect(
                try await server.request(
                    "POST",
                    "/api/tickets/\(number)/notes",
                    token: agent,
                    json: ["body": "内部：快递错误"]
                ).status == 201
            )
            let patched = try await server.request(
                "PATCH",
                "/api/tickets/\(id)",
                token: agent,
                json: ["summary": "快递延误三天", "read-back": true]
            )
            #expect(patched.status == 200)
            #expect(patched.object["summary"] as? String == "快递延误三天")
            #expect(patched.object["readBack"] as? Bool == true)
            let started = try await server.request(
                "POST",
                "/api/tickets/\(id)/state",
                token: agent,
                json: ["state": "in-progress"]
            )
            #expect(started.object["state"] as? String == "in-progress")
            let assigned = try await server.request(
                "POST",
                "/api/tickets/\(id)/assign",
                token: agent,
                json: ["to": "specialist", "tier": 2]
            )
            #expect(assigned.status == 200)
            #expect(assigned.object["assignee"] as? String == "specialist")
            let escalated = try await server.request(
                "POST",
                "/api/tickets/\(id)/escalate",
                token: agent,
                json: ["tier": 2, "reason": "需要二线"]
            )
            #expect(escalated.object["state"] as? String == "escalated")
            let resolved = try await server.request(
                "POST",
                "/api/tickets/\(id)/resolve",
                token: agent,
                json: ["result": "已重新发货"]
            )
            #expect(resolved.object["state"] as? String == "resolved")
            let rated = try await server.request(
                "POST",
                "/api/tickets/\(id)/rating",
                token: agent,
                json: ["score": 5, "comment": "很满意"]
            )
            #expect(rated.status == 200)
            let closed = try await server.request("POST", "/api/tickets/\(id)/close", token: agent)
            #expect(closed.object["state"] as? String == "closed")

            let detail = try await server.request("GET", "/api/tickets/\(number)", token: agent)
            #expect(detail.status == 200)
            let notes = try #require(detail.object["notes"] as? [[String: Any]])
            #expect(notes.contains { $0["kind"] as? String == "reply" && $0["body"] as? String == "已联系快递公司" })
            #expect(notes.contains { $0["kind"] as? String == "note" })
            #expect(notes.contains { $0["kind"] as? String == "rating" && $0["score"] as? Int == 5 })
            let sla = try #require(detail.object["sla"] as? [[String: Any]])
            #expect(sla.contains { $0["kind"] as? String == "first-response" && $0["status"] as? String == "met" })
            #expect((detail.object["conflicts"] as? [Any])?.isEmpty == true)
            #expect((detail.object["fields"] as? [String: Any])?["state"] as? String == "closed")
        }
    }

    /// Issue 18 item 7: the ticket's JSON and page show whether it was registered within the target (R1.2).
    @Test func ticketShowsItsRegistrationAgainstTheTarget() async throws {
        let store = try await TestServer.makeStore()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let late = try await store.createTicket(
            TicketDraft(
                customerId: "C0001", channel: "phone", type: "complaint/service", urgency: "normal", summary: "电话里说的",
                receivedAt: now - 45 * 60_000),
            actor: "admin")
        try await TestServer.with(store) { server in
            let agent = try await server.login(.agent)
            let detail = try await server.request("GET", "/api/tickets/\(late.number)", token: agent)
            let registration = try #require(detail.object["registration"] as? [String: Any])
            #expect(registration["met"] as? Bool == false && registration["targetMinutes"] as? Int == 30)
            #expect((registration["minutes"] as? Int).map { (45...46).contains($0) } == true)
            let prompt = try await server.createTicket(agent)
            let fresh = try await server.request("GET", "/api/tickets/\(prompt["id"] as! String)", token: agent)
            #expect((fresh.object["registration"] as? [String: Any])?["met"] as? Bool == true)
            let page = try await server.request("GET", "/tickets/\(late.id)?lang=en", cookie: "tm_session=\(agent)")
            #expect(page.text.contains("Registered (min after receipt / target)"))
            #expect(page.text.contains("/ 30 min <span class=\"badge breached\">late</span>"))
        }
    }

    @Test func listSortsBySLADueTimeAndFilters() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let normal = try await server.createTicket(agent, urgency: "normal", summary: "普通")
            let urgent = try await server.createTicket(agent, urgency: "urgent", summary: "紧急")
            let important = try await server.createTicket(agent, urgency: "important", summary: "重要")
            let list = try await server.request("GET", "/api/tickets", token: agent)
            #expect(list.status == 200)
            let ids = list.array.compactMap { ($0["ticket"] as? [String: Any])?["id"] as? String }
            #expect(ids == [urgent["id"], important["id"], normal["id"]].compactMap { $0 as? String })
            let dues = list.array.compactMap { $0["nextDueAt"] as? Int64 ?? ($0["nextDueAt"] as? Int).map(Int64.init) }
            #expect(dues == dues.sorted())
            let filtered = try await server.request("GET", "/api/tickets?urgency=urgent", token: agent)
            #expect(filtered.array.count == 1)
            let newest = try await server.request("GET", "/api/tickets?sort=newest&limit=2", token: agent)
            #expect(newest.array.count == 2)
            let badSort = try await server.request("GET", "/api/tickets?sort=fastest", token: agent)
            #expect(badSort.status == 400)
            #expect(badSort.message.contains("sort"))
            let badState = try await server.request("GET", "/api/tickets?state=sleeping", token: agent)
            #expect(badState.status == 400)
            #expect(badState.message.contains("state"))
        }
    }

    /// Issue 18 item 18: what Docs/openapi.yaml declares is what the server enforces. Before, a path
    /// answered an undeclared method with 404, blank optional texts and `null`s were refused or taken
    /// inconsistently, and unknown body fields were ignored.
    @Test func theServerEnforcesExactlyWhatTheDocumentDeclares() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            for (method, path, allow) in [
                ("TRACE", "/api/tickets", "GET, POST"), ("DELETE", "/api/me", "GET"), ("PUT", "/api/tickets/0", "GET, PATCH"),
                ("GET", "/api/login", "POST"), ("OPTIONS", "/api/status", "GET"), ("POST", "/openapi.yaml", "GET"),
            ] {
                let reply = try await server.request(method, path, token: agent)
                #expect(reply.status == 405, "\(method) \(path)")
                #expect(reply.headers["allow"] == allow, "\(method) \(path)")
            }
            #expect(try await server.request("GET", "/api/nowhere", token: agent).status == 404)
            let ticket = try await server.createTicket(agent)
            let id = try #require(ticket["id"] as? String)
            _ = try await server.request("POST", "/api/tickets/\(id)/replies", token: agent, json: ["body": "已联系"])
            _ = try await server.request("POST", "/api/tickets/\(id)/resolve", token: agent, json: ["result": "ok"])
            // Optional texts: null, empty and blank are absent; a declared-nullable comment is accepted as null.
            let rated = try await server.request("POST", "/api/tickets/\(id)/rating", token: agent, json: ["score": 5, "comment": NSNull()])
            #expect(rated.status == 200)
            let unknown = try await server.request("POST", "/api/tickets/\(id)/notes", token: agent, json: ["body": "x", "bodyy": "y"])
            #expect(unknown.status == 400 && unknown.message == "invalid field 'bodyy': not accepted here; use body, expectedVersion")
            let blank = try await server.request("POST", "/api/tickets/\(id)/notes", token: agent, json: ["body": " \u{3000}\n"])
            #expect(blank.status == 400 && blank.message == "missing body: a value is required")
            let long = try await server.request("POST", "/api/tickets/\(id)/assign", token: agent, json: ["to": String(repeating: "é", count: 101)])
            #expect(long.status == 400 && long.message == "invalid to: must be at most 100 characters")
            for (date, status) in [("2028-02-29", 200), ("2027-02-29", 400), ("2033-12-14*", 400), ("2026-12-31T23:59:59Z", 200)] {
                let reply = try await server.request("PATCH", "/api/tickets/\(id)", token: agent, json: ["expected-by": date])
                #expect(reply.status == status, "\(date): \(reply.text)")
            }
            let typed = try await server.request("PATCH", "/api/tickets/\(id)", token: agent, json: ["summary": 5])
            #expect(typed.status == 400 && typed.message == "invalid summary: must be a string, got a number")
            let plus = try await server.request("GET", "/api/kb?q=+%E3%80%80+", token: agent)
            #expect(plus.status == 400, "'+' in a query is a space, so this q is blank")
            #expect(try await server.request("GET", "/api/kb?q=%E7%89%A9%E6%B5%81+x&category=", token: agent).status == 200)
        }
    }

    @Test func badBodiesAre400NamingTheFieldAndWriteNothing() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let before = try await server.store.changeCount()
            let base: [String: Any] = [
                "customerId": "C0001", "channel": "phone", "type": "complaint/service", "urgency": "normal",
                "summary": "x",
            ]
            let cases: [([String: Any], String)] = [
                (base.merging(["urgency": "asap"]) { $1 }, "urgency"),
                (base.merging(["channel": "pigeon"]) { $1 }, "channel"),
                (base.merging(["summary": 42]) { $1 }, "summary"),
                (base.filter { $0.key != "summary" }, "summary"),
                (base.merging(["refs": ["order": 5]]) { $1 }, "refs.order"),
            ]
            for (body, field) in cases {
                let reply = try await server.request("POST", "/api/tickets", token: agent, json: body)
                #expect(reply.status == 400, "\(field)")
                #expect(reply.message.contains(field), "\(reply.message)")
                #expect((reply.object["error"] as? [String: Any])?["code"] as? String == "invalid-value")
            }
            let notJSON = try await server.request("POST", "/api/tickets", token: agent, raw: "{not json")
            #expect(notJSON.status == 400)
            #expect(notJSON.message.contains("JSON object"))
            let unknownCustomer = try await server.request(
                "POST",
                "/api/tickets",
                token: agent,
                json: base.merging(["customerId": "C9999"]) { $1 }
            )
            #expect(unknownCustomer.status == 404)
            // Request types are replicated data the document cannot list: an unknown one is an unknown record.
            let unknownType = try await server.request("POST", "/api/tickets", token: agent, json: base.merging(["type": "nonsense"]) { $1 })
            #expect(unknownType.status == 404 && unknownType.message.contains("type"))
            #expect(try await server.store.changeCount() == before)

            let ticket = try await server.createTicket(agent)
            let id = try #require(ticket["id"] as? String)
            let afterCreate = try await server.store.changeCount()
            let badScore = try await server.request(
                "POST",
                "/api/tickets/\(id)/escalate",
                token: agent,
                json: ["tier": 7, "reason": "x"]
            )
            #expect(badScore.status == 400)
            #expect(badScore.message.contains("tier"))
            let badField = try await server.request(
                "PATCH",
                "/api/tickets/\(id)",
                token: agent,
                json: ["colour": "red"]
            )
            #expect(badField.status == 400)
            #expect(badField.message.contains("colour"))
            let emptyNote = try await server.request(
                "POST",
                "/api/tickets/\(id)/notes",
                token: agent,
                json: ["body": ""]
            )
            #expect(emptyNote.status == 400)
            #expect(emptyNote.message.contains("body"))
            let badLimit = try await server.request("GET", "/api/tickets?limit=0", token: agent)
            #expect(badLimit.status == 400)
            #expect(try await server.store.changeCount() == afterCreate)
        }
    }

    @Test func unknownRecordsAre404() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            for (method, path, body) in [
                ("GET", "/api/tickets/CS-20990101-HQ-0001", [String: Any]()),
                ("POST", "/api/tickets/nope/notes", ["body": "x"]),
                ("POST", "/api/tickets/nope/resolve", ["result": "x"]), ("GET", "/api/customers/C4040", [:]),
            ] {
                let reply = try await server.request(method, path, token: agent, json: body)
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(reply.message.contains("unknown"), "\(reply.message)")
            }
        }
    }

    @Test func illegalTransitionsAre409AndChangeNothing() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let id = try #require(try await server.createTicket(agent)["id"] as? String)
            let before = try await server.store.changeCount()
            let close = try await server.request("POST", "/api/tickets/\(id)/close", token: agent)
            #expect(close.status == 409)
            #expect(close.message.contains("illegal transition"))
            #expect((close.object["error"] as? [String: Any])?["code"] as? String == "illegal-transition")
            let rate = try await server.request("POST", "/api/tickets/\(id)/rating", token: agent, json: ["score": 4])
            #expect(rate.status == 409)
            #expect(try await server.store.changeCount() == before)
            #expect(try await server.store.ticket(id).state == "new")
        }
    }

    /// Which role may do what (R10.2), over HTTP: 403 names the role, and nothing is written.
    @Test(arguments: [
        (Role.analyst, "create", 403), (.agent, "create", 201), (.specialist, "create", 201),
        (.supervisor, "create", 201),
        (.analyst, "list", 200), (.agent, "reopen", 403), (.specialist, "reopen", 403), (.supervisor, "reopen", 200),
        (.manager, "reopen", 200), (.admin, "reopen", 200), (.analyst, "note", 403), (.analyst, "customer", 403),
        (.agent, "customer", 201),
    ])
    func roleMatrix(role: Role, action: String, expected: Int) async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let admin = try await server.login(.admin)
            let ticket = try await server.createTicket(admin)
            let id = try #require(ticket["id"] as? String)
            _ = try await server.request("POST", "/api/tickets/\(id)/replies", token: admin, json: ["body": "收到"])
            let resolved = try await server.request(
                "POST",
                "/api/tickets/\(id)/resolve",
                token: admin,
                json: ["result": "done"]
            )
            #expect(resolved.status == 200)
            let token = try await server.login(role)
            let before = try await server.store.changeCount()
            let reply: TestServer.Reply
            switch action {
            case "create":
                reply = try await server.request(
                    "POST",
                    "/api/tickets",
                    token: token,
                    json: [
                        "customerId": "C0001", "channel": "email", "type": "consultation/product", "urgency": "normal",
                        "summary": "s",
                    ]
                )
            case "list": reply = try await server.request("GET", "/api/tickets", token: token)
            case "reopen":
                reply = try await server.request(
                    "POST",
                    "/api/tickets/\(id)/reopen",
                    token: token,
                    json: ["reason": "客户不满意"]
                )
            case "note":
                reply = try await server.request("POST", "/api/tickets/\(id)/notes", token: token, json: ["body": "n"])
            default: reply = try await server.request("POST", "/api/customers", token: token, json: ["name": "新客户"])
            }
            #expect(reply.status == expected, "\(role) \(action): \(reply.text)")
            if expected == 403 {
                #expect(reply.message.contains("role \(role.rawValue)"))
                #expect(try await server.store.changeCount() == before)
            }
        }
    }

    /// Every role reads phones masked; supervisors, managers and admins reveal them on purpose (R10.1).
    @Test func phoneNumbersAreMaskedForEveryRoleUntilRevealed() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            for role in TestServer.roles {
                let token = try await server.login(role)
                let list = try await server.request("GET", "/api/customers", token: token)
                let phone = try #require(list.array.first?["phone"] as? String)
                let show = try await server.request("GET", "/api/customers/C0001", token: token)
                let shown = try #require((show.object["customer"] as? [String: Any])?["phone"] as? String)
                #expect(phone == "*********1234", "\(role)")
                #expect(!show.text.contains("13800"), "\(role)")
                #expect(shown == phone)
                let before = try await server.store.changeCount()
                let revealed = try await server.request("POST", "/api/customers/C0001/reveal", token: token)
                if [.supervisor, .manager, .admin].contains(role) {
                    #expect(revealed.status == 200, "\(role)")
                    #expect((revealed.object["customer"] as? [String: Any])?["phone"] as? String == "+86 138 0013 1234")
                } else {
                    #expect(revealed.status == 403, "\(role)")
                    #expect(try await server.store.changeCount() == before)
                }
            }
        }
    }

    @Test func knowledgeConflictsAndStatus() async throws {
        let store = try await TestServer.makeStore()
        _ = try await store.addArticle(title: "物流查询", body: "如何查询快递物流状态", category: "logistics", actor: "admin")
        try await TestServer.with(store) { server in
            let token = try await server.login(.analyst)
            let found = try await server.request("GET", "/api/kb?q=%E7%89%A9%E6%B5%81", token: token)
            #expect(found.status == 200)
            #expect(found.array.first?["title"] as? String == "物流查询")
            let none = try await server.request("GET", "/api/kb?q=", token: token)
            #expect(none.status == 400)
            #expect(none.message.contains("query"))
            let conflicts = try await server.request("GET", "/api/conflicts", token: token)
            #expect(conflicts.status == 200)
            #expect(conflicts.array.isEmpty)
            let status = try await server.request("GET", "/api/status", token: token)
            #expect(status.object["site"] as? String == "HQ")
            #expect(status.object["digest"] as? String == (try await store.digest()))
            #expect((status.object["vector"] as? [String: Any])?["HQ"] != nil)
            #expect(status.object["automation"] == nil)  // not run yet
            let run = await store.runAutomation()
            let after = try await server.request("GET", "/api/status", token: token)
            let automation = try #require(after.object["automation"] as? [String: Any])
            #expect((automation["startedAt"] as? NSNumber)?.int64Value == run.startedAt)
            #expect((automation["careTasks"] as? NSNumber)?.intValue == run.careTasks)
            #expect((automation["totals"] as? [String: Any])?["runs"] as? Int == 1)
        }
    }

    @Test func servesTheOpenAPIDocumentOfDocs() async throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Docs/openapi.yaml")
        let expected = try String(contentsOf: docs, encoding: .utf8)
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let reply = try await server.request("GET", "/openapi.yaml")
            #expect(reply.status == 200)
            #expect(reply.text == expected, "Docs/openapi.yaml changed: run scripts/embed-openapi")
        }
    }
}
