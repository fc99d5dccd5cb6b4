import Foundation
import Testing
import TicketMeshDomain

@testable import TicketMeshServer
@testable import TicketMeshStore

/// Issue 16 items 1 and 4 over HTTP: the queue's filters, search, sort, saved views and bulk
/// actions in `GET /api/tickets`, `POST /api/tickets/bulk` and the web queue; every word of a page
/// in its language.
@Suite struct QueuePageTests {
    /// Three tickets: an urgent one with a note about 冷链, a normal one, an important resolved one.
    func plant(_ server: TestServer, _ agent: String) async throws -> (cold: String, plain: String, resolved: String) {
        let cold = try #require(try await server.createTicket(agent, urgency: "urgent", summary: "冷库温度异常")["id"] as? String)
        let plain = try #require(try await server.createTicket(agent, urgency: "normal", summary: "Invoice title wrong")["id"] as? String)
        let resolved = try #require(try await server.createTicket(agent, urgency: "important", summary: "退款进度")["id"] as? String)
        #expect(try await server.request("POST", "/api/tickets/\(cold)/notes", token: agent, json: ["body": "冷链车辆已安排"]).status == 201)
        _ = try await server.store.addEntry(resolved, kind: .reply, body: "正在处理", actor: "agent")
        _ = try await server.store.resolve(resolved, result: "已退款", actor: "agent")
        return (cold, plain, resolved)
    }

    func ids(_ reply: TestServer.Reply) -> [String] { reply.array.compactMap { ($0["ticket"] as? [String: Any])?["id"] as? String } }

    @Test func listTicketsTakesTheQueueFiltersSearchAndSort() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let (cold, plain, resolved) = try await plant(server, agent)
            #expect(ids(try await server.request("GET", "/api/tickets?q=%E5%86%B7%E9%93%BE", token: agent)) == [cold], "冷链, in a note")
            #expect(ids(try await server.request("GET", "/api/tickets?q=invoice+TITLE", token: agent)) == [plain])
            #expect(ids(try await server.request("GET", "/api/tickets?q=&urgency=normal", token: agent)) == [plain], "blank search is none")
            #expect(ids(try await server.request("GET", "/api/tickets?sort=-urgency", token: agent)) == [plain, resolved, cold])
            #expect(ids(try await server.request("GET", "/api/tickets?sort=urgency&channel=phone", token: agent)) == [cold, resolved, plain])
            #expect(ids(try await server.request("GET", "/api/tickets?type=complaint&state=resolved", token: agent)) == [resolved])
            #expect(ids(try await server.request("GET", "/api/tickets?channel=email", token: agent)).isEmpty)
            #expect(ids(try await server.request("GET", "/api/tickets?clock=breached", token: agent)).isEmpty)
            #expect(ids(try await server.request("GET", "/api/tickets?sort=newest&q=%E9%80%80%E6%AC%BE", token: agent)) == [resolved])
            for (query, named) in [("channel=fax", "invalid channel 'fax'"), ("clock=late", "invalid clock 'late'"), ("sort=colour", "invalid sort 'colour'")] {
                let refused = try await server.request("GET", "/api/tickets?\(query)", token: agent)
                #expect(refused.status == 400 && refused.message.contains(named), "\(query): \(refused.text)")
            }
        }
    }

    @Test func bulkActionsAnswerPerTicket() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let (cold, _, resolved) = try await plant(server, agent)
            let reply = try await server.request(
                "POST", "/api/tickets/bulk", token: agent, json: ["action": "close", "tickets": [resolved, cold, "nope"]])
            #expect(reply.status == 200)
            #expect(reply.array.map { $0["ok"] as? Bool } == [true, false, false])
            #expect((reply.array[1]["error"] as? String)?.contains("illegal transition") == true)
            #expect((reply.array[2]["error"] as? String)?.contains("unknown ticket 'nope'") == true)
            let assign = try await server.request(
                "POST", "/api/tickets/bulk", token: agent, json: ["action": "assign", "to": "li.wei", "tickets": [cold]])
            #expect(assign.array.map { $0["ok"] as? Bool } == [true])
            let bad = try await server.request("POST", "/api/tickets/bulk", token: agent, json: ["action": "assign", "tickets": [cold]])
            #expect(bad.status == 400 && bad.message.contains("missing to"))
            // A state the action would ignore, or more ids than the document allows, is still refused.
            let stray = try await server.request("POST", "/api/tickets/bulk", token: agent, json: ["action": "close", "state": "closed", "tickets": [cold]])
            #expect(stray.status == 400 && stray.message.contains("invalid state 'closed'"))
            let many = try await server.request(
                "POST", "/api/tickets/bulk", token: agent, json: ["action": "close", "tickets": Array(repeating: cold, count: 501)])
            #expect(many.status == 400 && many.message.contains("at most 500"))
            let analyst = try await server.login(.analyst)
            #expect(try await server.request("POST", "/api/tickets/bulk", token: analyst, json: ["action": "close", "tickets": [cold]]).status == 403)
        }
    }

    /// The web queue: search box, filters, sortable headers, a saved view and a bulk close with its results.
    @Test func webQueueFiltersSavesViewsAndClosesInBulk() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let (cold, plain, resolved) = try await plant(server, agent)
            let cookie = "tm_session=\(agent)"
            let searched = try await server.request("GET", "/queue?q=%E5%86%B7%E9%93%BE", cookie: cookie)
            #expect(searched.text.components(separatedBy: "class=\"ticket-row\"").count - 1 == 1)
            #expect(searched.text.contains("冷库温度异常") && !searched.text.contains("Invoice title wrong"))
            #expect(searched.text.contains("id=\"filter-q\" value=\"冷链\""))
            let sorted = try await server.request("GET", "/queue?sort=-urgency", cookie: cookie)
            let first = try #require(sorted.text.range(of: "Invoice title wrong"))
            let last = try #require(sorted.text.range(of: "冷库温度异常"))
            #expect(first.lowerBound < last.lowerBound)
            #expect(sorted.text.contains("id=\"sort-urgency\" href=\"/queue?sort=urgency\""), "the sorted column reverses")

            let csrf = try await server.csrfToken(agent)
            let form = "application/x-www-form-urlencoded"
            let saved = try await server.request(
                "POST", "/queue/views", raw: "name=%E5%86%B7%E9%93%BE&query=q%3D%25E5%2586%25B7%25E9%2593%25BE&csrf=\(csrf)",
                cookie: cookie, contentType: form)
            #expect(saved.status == 200)
            #expect(saved.text.contains("class=\"view-link\"") && saved.text.contains(">冷链</a>"))
            #expect(saved.text.components(separatedBy: "class=\"ticket-row\"").count - 1 == 1)
            let supervisor = try await server.login(.supervisor)
            #expect(try await server.request("GET", "/queue", cookie: "tm_session=\(supervisor)").text.contains("id=\"no-views\""))

            let closed = try await server.request(
                "POST", "/queue/bulk", raw: "action=close&tickets=\(resolved)&tickets=\(plain)&csrf=\(csrf)", cookie: cookie,
                contentType: form)
            #expect(closed.status == 200)
            #expect(closed.text.contains("class=\"bulk-result ok\" data-ticket=\"\(resolved)\""))
            #expect(closed.text.contains("class=\"bulk-result failed\" data-ticket=\"\(plain)\""))
            #expect(closed.text.contains("状态不能从「"), "the failure reason in the page's language")
            #expect(try await server.store.ticket(resolved).state == "closed")
            _ = cold
        }
    }

    /// Item 4: no English enum value in the visible text of zh-CN pages; the en pages use words too.
    @Test func zhPagesShowNoEnglishEnumWords() async throws {
        let store = try await TestServer.makeStore()
        // A supervisor whose name is no role name (the test users are named after their roles).
        _ = try await store.saveUser(User(name: "wang", role: .supervisor), actor: "admin")
        try await store.setPasswordHash("wang", hash: Passwords.hash("password-wang", rounds: 4), actor: "admin")
        let cold = try await store.createTicket(
            TicketDraft(customerId: "C0001", channel: "walk-in", type: "complaint/service", urgency: "urgent", summary: "冷库温度异常"),
            actor: "wang")
        _ = try await store.addEntry(cold.id, kind: .reply, body: "已联系", actor: "wang")
        _ = try await store.assign(cold.id, to: "wang", tier: 2, department: "物流部", actor: "wang")
        _ = try await store.escalate(cold.id, tier: 3, reason: "需要专家", actor: "wang")
        let done = try await store.createTicket(
            TicketDraft(customerId: "C0001", channel: "email", type: "complaint/service", urgency: "normal", summary: "退款"),
            actor: "wang")
        _ = try await store.addEntry(done.id, kind: .reply, body: "正在处理", actor: "wang")
        _ = try await store.resolve(done.id, result: "已退款", actor: "wang")
        _ = try await store.close(done.id, actor: "wang")
        try await TestServer.with(store) { server in
            let login = try await server.request("POST", "/api/login", json: ["user": "wang", "password": "password-wang"])
            let token = try #require(login.object["token"] as? String)
            let raw = Set(Strings.enumValues.values.joined())
            for path in [
                "/queue", "/queue?state=closed", "/tickets/\(cold.id)", "/tickets/\(done.id)", "/customers", "/customers/C0001",
                "/reports", "/site", "/tickets/new",
            ] {
                let page = try await server.request("GET", path, cookie: "tm_session=\(token)")
                #expect(page.status == 200, "\(path)")
                let english = Self.visibleWords(page.text).filter { raw.contains($0) }
                #expect(english.isEmpty, "\(path) shows \(Set(english).sorted())")
            }
            let en = try await server.request("GET", "/tickets/\(cold.id)?lang=en", cookie: "tm_session=\(token)")
            #expect(en.text.contains("First response") && en.text.contains("Urgent") && en.text.contains("Walk-in"))
            #expect(!Self.visibleWords(en.text).contains("first-response"))
            let zh = try await server.request("GET", "/tickets/\(cold.id)", cookie: "tm_session=\(token)")
            #expect(zh.text.contains("升级到第 3 层：需要专家") && zh.text.contains("指派给 wang，第 2 层，部门 物流部"))
        }
    }

    /// Pages show times in the zone `route` sets (the store configuration's): one instant, two zones.
    @Test func timesFollowTheZoneOfTheRequest() {
        let instant: Int64 = 1_795_600_800_000  // 2026-11-25T10:00:00Z
        let shanghai = WebUI.$zone.withValue(ZoneOffsets(TimeZone(identifier: "Asia/Shanghai")!)) { WebUI.time(instant) }
        let kathmandu = WebUI.$zone.withValue(ZoneOffsets(TimeZone(identifier: "Asia/Kathmandu")!)) { WebUI.time(instant) }
        #expect(shanghai == "2026-11-25 18:00")
        #expect(kathmandu == "2026-11-25 15:45")
    }

    /// The words of a page a person reads: text between tags, without scripts, styles, attributes
    /// and `<code>` (command names such as `ticketmesh web`).
    static func visibleWords(_ html: String) -> [String] {
        var text = html
        for block in ["script", "style", "code"] {
            while let start = text.range(of: "<\(block)"), let end = text.range(of: "</\(block)>", range: start.upperBound..<text.endIndex) {
                text.removeSubrange(start.lowerBound..<end.upperBound)
            }
        }
        var visible = ""
        var inTag = false
        for character in text {
            if character == "<" { inTag = true; visible.append(" ") } else if character == ">" { inTag = false } else if !inTag { visible.append(character) }
        }
        return visible.split(whereSeparator: { !($0.isLetter || $0 == "-") }).map(String.init)
    }

    @Test func everyEnumValueHasAWordInBothLanguages() {
        for (vocabulary, values) in Strings.enumValues {
            for value in values {
                #expect(Strings.labelsZh[vocabulary]?[value] != nil, "zh \(vocabulary) \(value)")
                #expect(Strings.labelsEn[vocabulary]?[value] != nil, "en \(vocabulary) \(value)")
            }
        }
        #expect(Strings.label(.state, "pending-customer", language: "zh-CN") == "待客户回复")
        #expect(Strings.label(.state, "complaint/x", language: "en") == "complaint/x")
    }

    static let durations: [(millis: Int64, zh: String, en: String)] = [
        (-39_208 * 60_000, "超时 27 天 5 小时", "27 d 5 h overdue"),  // -653h 28m
        (125 * 60_000, "2 小时 5 分", "2 h 5 min"),
        (-35 * 60_000, "超时 35 分", "35 min overdue"),
        (3 * 1440 * 60_000, "3 天", "3 d"),
        (0, "0 分", "0 min"),
    ]

    @Test func durationsReadAsWords() {
        for (millis, zh, en) in Self.durations {
            #expect(Strings.duration(millis, language: "zh-CN") == zh)
            #expect(Strings.duration(millis, language: "en") == en)
        }
    }

    /// The mail channel's events (ingest and outbox drain) read in Chinese on zh-CN pages, the
    /// address, subject and MTA error as written; en pages show them as stored.
    static let mailEvents: [(stored: String, zh: String)] = [
        ("reopened: the customer replied by mail", "客户邮件回复后已重开"),
        ("in progress: the customer replied by mail", "客户已邮件回复，继续处理"),
        (
            "mail sent: receipt to li@example.com, [TM-1] 冷库 (Message-ID <a@b>)",
            "已发送受理回执至 li@example.com, [TM-1] 冷库 (Message-ID <a@b>)"
        ),
        ("mail sent: resolution notice to li@example.com, x (Message-ID <c@d>)", "已发送解决通知至 li@example.com, x (Message-ID <c@d>)"),
        (
            "mail to li@example.com refused by the MTA (attempt 2, 2026-11-25T10:00:00Z): sendmail exited 75 — retried automatically",
            "发往 li@example.com 的邮件被 MTA 拒收（第 2 次，2026-11-25T10:00:00Z）：sendmail exited 75 — 将自动重试"
        ),
    ]

    @Test func mailEventsReadInChinese() {
        for (stored, zh) in Self.mailEvents {
            #expect(Strings.event(stored, language: "zh-CN") == zh)
            #expect(Strings.event(stored, language: "en") == stored)
        }
    }
}
