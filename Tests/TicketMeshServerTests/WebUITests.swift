import Foundation
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

@Suite(.timeLimit(.minutes(2)))
struct WebUITests {
    @Test func pagesNeedALoginAndSpeakChineseByDefault() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let anonymous = try await server.request("GET", "/queue")
            #expect(anonymous.status == 200)  // redirected to the login page
            #expect(anonymous.text.contains("id=\"login-form\""))
            #expect(anonymous.text.contains("登录"))
            let english = try await server.request("GET", "/login?lang=en")
            #expect(english.text.contains("Log in"))
            #expect(english.headers["set-cookie"]?.contains("tm_lang=en") == true)
            let remembered = try await server.request("GET", "/login", cookie: "tm_lang=en")
            #expect(remembered.text.contains("Log in"))
            let failed = try await server.formLogin(user: "agent", password: "wrong-one")
            #expect(failed.status == 401)
            #expect(failed.text.contains("id=\"flash\""))
            // The layout is written without mustache: a message from the query is still only text.
            let reflected = try await server.request("GET", "/login?error=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E&lang=en")
            #expect(reflected.text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
            #expect(!reflected.text.contains("<script>alert"))
        }
    }

    @Test func reportsPageShowsChartsAndFiguresToRolesThatMayReadThem() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            _ = try await server.createTicket(agent, urgency: "urgent", summary: "物流延误 身份证 11010519491231002X")
            let analyst = try await server.login(.analyst)
            let page = try await server.request("GET", "/reports?kind=weekly&lang=en", cookie: "tm_session=\(analyst)")
            #expect(page.status == 200)
            #expect(page.text.components(separatedBy: "<svg").count - 1 == 3)
            #expect(page.text.contains("id=\"report-figures\""))
            #expect(!page.text.contains("11010519491231002X"))
            let refused = try await server.request("GET", "/reports", cookie: "tm_session=\(agent)")
            #expect(refused.status == 403)
            let bad = try await server.request("GET", "/reports?kind=yearly", cookie: "tm_session=\(analyst)")
            #expect(bad.status == 400)
            #expect(bad.text.contains("yearly"))
        }
    }

    @Test func sitePageShowsTheLastAutomationRun() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let before = try await server.request("GET", "/site?lang=en", cookie: "tm_session=\(agent)")
            #expect(before.text.contains("id=\"automation-none\""))
            let now = server.store.configuration.now()
            let run = await server.store.runAutomation(now: now, nextAt: now + 60_000)
            #expect(run.errors.isEmpty)
            let page = try await server.request("GET", "/site?lang=en", cookie: "tm_session=\(agent)")
            let section = try #require(page.text.range(of: "id=\"automation\"").map { String(page.text[$0.lowerBound...]) })
            #expect(section.contains("<dd id=\"automation-last\">\(Timestamps.iso(now))</dd>"))
            #expect(section.contains("<dd id=\"automation-next\">\(Timestamps.iso(now + 60_000))</dd>"))
            #expect(section.contains("<dd id=\"automation-care\">\(run.careTasks)</dd>"))
            #expect(section.contains("Tickets auto-closed"))
            let chinese = try await server.request("GET", "/site", cookie: "tm_session=\(agent)")
            #expect(chinese.text.contains("上次运行"))
        }
    }

    @Test func sitePageShowsPeersLastSyncAndLag() async throws {
        let peers: @Sendable () async -> [PeerView] = {
            [
                PeerView(peer: "127.0.0.1:7400", site: "HQ", lastSync: "2026-11-28T10:00:00Z", lastError: nil, lag: 42),
                PeerView(peer: "10.0.0.9:7400", site: nil, lastSync: nil, lastError: "connection refused", lag: nil),
            ]
        }
        try await TestServer.with(try await TestServer.makeStore(), peers: peers) { server in
            let agent = try await server.login(.agent)
            let page = try await server.request("GET", "/site?lang=en", cookie: "tm_session=\(agent)")
            #expect(page.status == 200)
            let table = try #require(page.text.range(of: "id=\"peers\"").map { String(page.text[$0.lowerBound...]) })
            #expect(table.contains("HQ (127.0.0.1:7400)"))
            #expect(table.contains("2026-11-28T10:00:00Z"))
            #expect(table.contains("<td>42</td>"))
            #expect(table.contains("connection refused"))
        }
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let page = try await server.request("GET", "/site?lang=en", cookie: "tm_session=\(agent)")
            #expect(page.text.contains("No sync yet"))
        }
    }

    @Test func queuePageFollowsSLAOrderWithBadges() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let normal = try await server.createTicket(agent, urgency: "normal", summary: "普通问题")
            let urgent = try await server.createTicket(agent, urgency: "urgent", summary: "紧急问题")
            let page = try await server.request("GET", "/queue", cookie: "tm_session=\(agent)")
            #expect(page.status == 200)
            #expect(page.text.contains("工单队列"))
            let first = try #require(page.text.range(of: urgent["number"] as! String))
            let second = try #require(page.text.range(of: normal["number"] as! String))
            #expect(first.lowerBound < second.lowerBound)
            let ticket = try await server.request(
                "GET",
                "/tickets/\(urgent["id"] as! String)?lang=en",
                cookie: "tm_session=\(agent)"
            )
            #expect(ticket.text.contains("SLA clocks"))
            #expect(ticket.text.contains("First response"))
            #expect(ticket.text.contains("reply-form"))
        }
    }

    /// The queue and the login are answered from the read cache between writes; a write by another
    /// connection to the same file (as a CLI command next to `serve` makes) shows on the next request.
    @Test func writesByAnotherConnectionShowOnTheNextRequest() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-web-\(UUID().uuidString)")
        try await TestServer.with(try await TestServer.makeStore(directory: directory)) { server in
            let other = try ReplicaStore.open(directory: directory)
            let agent = try await server.login(.agent)
            let ticket = try await server.createTicket(agent, urgency: "urgent", summary: "冷链断电")
            let id = try #require(ticket["id"] as? String)
            let cookie = "tm_session=\(agent)"
            for _ in 0..<3 { #expect(try await server.request("GET", "/queue", cookie: cookie).text.contains("冷链断电")) }
            let hits = server.store.readCacheStatistics.hits
            #expect(try await server.request("GET", "/queue", cookie: cookie).text.contains("冷链断电"))
            #expect(server.store.readCacheStatistics.hits > hits)

            _ = try await other.transition(id, to: .pendingCustomer, event: "waiting for photos", actor: "supervisor")
            let waiting = try await server.request("GET", "/queue?state=pending-customer", cookie: cookie)
            #expect(waiting.text.contains("冷链断电"))
            #expect(!(try await server.request("GET", "/queue?state=new", cookie: cookie).text.contains("冷链断电")))

            _ = try await other.saveUser(User(name: "agent", role: .agent, active: false), actor: "admin")
            let after = try await server.request("GET", "/queue", cookie: cookie)
            #expect(after.text.contains("id=\"login-form\""))
            #expect(try await server.request("GET", "/api/tickets", token: agent).status == 401)
        }
    }

    @Test func queuePageShowsOnePageAndLinksToMore() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            for index in 0..<3 { _ = try await server.createTicket(agent, urgency: "normal", summary: "问题 \(index)") }
            let page = try await server.request("GET", "/queue?limit=2&urgency=normal", cookie: "tm_session=\(agent)")
            #expect(page.status == 200)
            #expect(page.text.components(separatedBy: "class=\"ticket-row\"").count - 1 == 2)
            #expect(page.text.contains("id=\"queue-more\" href=\"/queue?urgency=normal&amp;limit=52\""))
            let all = try await server.request("GET", "/queue", cookie: "tm_session=\(agent)")
            #expect(all.text.components(separatedBy: "class=\"ticket-row\"").count - 1 == 3)
            #expect(!all.text.contains("queue-more"))
        }
    }

    @Test func ticketFormsWriteThroughTheStoreAndShowRefusals() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let id = try #require(try await server.createTicket(agent)["id"] as? String)
            let form = "application/x-www-form-urlencoded"
            let csrf = try await server.csrfToken(agent)
            let replied = try await server.request(
                "POST",
                "/tickets/\(id)/reply",
                raw: "body=%E5%B7%B2%E5%A4%84%E7%90%86&csrf=\(csrf)",
                cookie: "tm_session=\(agent)",
                contentType: form
            )
            #expect(replied.status == 200)
            #expect(replied.text.contains("已处理"))
            let refused = try await server.request(
                "POST",
                "/tickets/\(id)/rate",
                raw: "score=5&csrf=\(csrf)",
                cookie: "tm_session=\(agent)",
                contentType: form
            )
            #expect(refused.text.contains("id=\"flash\""))
            #expect(refused.text.contains("不能评价：工单解决或关闭后才能评价"), "\(refused.text)")
            let entries = try await server.store.entries(ticketID: id)
            #expect(entries.filter { $0.kind == .rating }.isEmpty)
            let site = try await server.request("GET", "/site", cookie: "tm_session=\(agent)")
            #expect(site.text.contains(try await server.store.digest()))
            let customer = try await server.request("GET", "/customers/C0001", cookie: "tm_session=\(agent)")
            #expect(customer.text.contains("*********1234"))
            #expect(!customer.text.contains("0013 1234"))
        }
    }
}
