import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshServer
import TicketMeshStore

/// SLA policies and business calendars through `/api/sla` and `/admin/sla` (issue 16 item 5, R3.1):
/// the same store calls as `ticketmesh sla`, the same rights, the same rules.
@Suite(.timeLimit(.minutes(3)))
struct SLAAdminTests {
    let form = "application/x-www-form-urlencoded"

    @Test func policiesTargetsAndTheActivePolicyThroughTheAPI() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let manager = try await server.login(.manager)
            let agent = try await server.login(.agent)
            let listed = try await server.request("GET", "/api/sla/policies", token: agent)
            #expect(listed.status == 200)
            #expect(listed.object["active"] as? String == "standard")
            let names = (listed.object["policies"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names == ["standard", "tiered"])

            let refused = try await server.request(
                "PATCH", "/api/sla/policies/standard", token: agent, json: ["levels": ["urgent": ["firstResponse": 90]]])
            #expect(refused.status == 403)
            #expect(refused.message.contains("change SLA policies"))
            for (body, named) in [
                (["levels": ["urgent": ["firstResponse": 0]]] as [String: Any], "firstResponse.urgent"),
                (["levels": ["asap": ["firstResponse": 60]]], "levels.asap"),
                (["atRiskPercent": 150], "atRiskPercent"),
                (["accept": "1h"], "accept"),
                (["colour": 3], "colour"),
                (["resolution": ["A": 60]], "resolution"),
                ([:], "settings"),
            ] {
                let bad = try await server.request("PATCH", "/api/sla/policies/standard", token: manager, json: body)
                #expect(bad.status == 400, "\(body)")
                #expect(bad.message.contains(named), "\(bad.message)")
            }
            #expect(try await server.store.slaPolicy(named: "standard") == SLAPolicy.standard)  // nothing written

            let ticket = try await server.request(
                "POST", "/api/tickets", token: agent,
                json: ["customerId": "C0001", "channel": "phone", "type": "complaint/service", "urgency": "urgent", "summary": "冷库停电"])
            let id = try #require(ticket.object["id"] as? String)
            let changed = try await server.request(
                "PATCH", "/api/sla/policies/standard", token: manager,
                json: ["levels": ["urgent": ["firstResponse": 90]], "pauseOnPending": false, "resolution": ["complaint": NSNull()]])
            #expect(changed.status == 200)
            #expect((changed.object["levels"] as? [String: [String: Int]])?["urgent"]?["firstResponse"] == 90)
            #expect(changed.object["pauseOnPending"] as? Bool == false)
            #expect((changed.object["resolution"] as? [String: Int]) == [:])
            // The clocks of an open ticket are measured by the new target.
            let shown = try await server.request("GET", "/api/tickets/\(id)", token: agent)
            let clocks = shown.object["sla"] as? [[String: Any]] ?? []
            #expect(clocks.first { $0["kind"] as? String == "first-response" }?["targetMinutes"] as? Int == 90)

            let unknown = try await server.request("GET", "/api/sla/policies/vip", token: agent)
            #expect(unknown.status == 404)
            let created = try await server.request("PATCH", "/api/sla/policies/VIP", token: manager, json: ["accept": 30])
            #expect(created.status == 200)
            #expect(created.object["name"] as? String == "vip" && created.object["accept"] as? Int == 30)
            #expect(try await server.request("GET", "/api/sla/policies/vip", token: agent).status == 200)

            let missing = try await server.request("PUT", "/api/sla/active", token: manager, json: ["policy": "gold"])
            #expect(missing.status == 404)
            let used = try await server.request("PUT", "/api/sla/active", token: manager, json: ["policy": "vip"])
            #expect(used.status == 200)
            #expect(try await server.request("GET", "/api/sla/policies", token: agent).object["active"] as? String == "vip")
        }
    }

    @Test func aCalendarThroughTheAPIWithItsRules() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let manager = try await server.login(.manager)
            let path = "/api/sla/policies/standard/calendar"
            let set = try await server.request(
                "PUT", path, token: manager,
                json: ["timeZone": "Asia/Shanghai", "hours": ["mon-fri 09:00-18:00", "sat 10:00-14:00"], "holidays": ["2027-01-01"]])
            #expect(set.status == 200)
            let calendar = try #require(set.object["calendar"] as? [String: Any])
            #expect(calendar["timeZone"] as? String == "Asia/Shanghai")
            #expect(calendar["holidays"] as? [String] == ["2027-01-01"])
            #expect(((calendar["hours"] as? [String: [[String: Int]]])?["sat"]) == [["start": 600, "end": 840]])
            let stored = try #require(try await server.store.slaPolicy(named: "standard").calendar)
            #expect(stored.hours["mon"] == [.init(start: 540, end: 1080)] && stored.hours["sun"] == nil)

            for (body, status, named) in [
                (["timeZone": "Mars/Olympus", "hours": ["mon 09:00-17:00"]] as [String: Any], 404, "timeZone"),
                (["timeZone": "Asia/Shanghai", "hours": ["Mon 09:00-17:00"]], 400, "hours"),
                (["timeZone": "Asia/Shanghai", "hours": ["mon 9:00-17:00"]], 400, "hours"),
                (["timeZone": "Asia/Shanghai", "hours": []], 400, "hours"),
                (["timeZone": "Asia/Shanghai", "hours": ["mon 09:00-17:00"], "holidays": ["2027-02-30"]], 400, "holidays"),
                (["hours": ["mon 09:00-17:00"]], 400, "timeZone"),
                (["aroundTheClock": false], 400, "aroundTheClock"),
                (["aroundTheClock": true, "timeZone": "UTC"], 400, "timeZone"),
            ] {
                let bad = try await server.request("PUT", path, token: manager, json: body)
                #expect(bad.status == status, "\(body)")
                #expect(bad.message.contains(named), "\(bad.message)")
            }
            #expect(try await server.store.slaPolicy(named: "standard").calendar == stored)  // nothing written

            let agent = try await server.login(.agent)
            let refused = try await server.request("PUT", path, token: agent, json: ["aroundTheClock": true])
            #expect(refused.status == 403)
            let cleared = try await server.request("PUT", path, token: manager, json: ["aroundTheClock": true])
            #expect(cleared.status == 200)
            #expect(cleared.object["calendar"] == nil)
        }
    }

    @Test func thePageShowsPoliciesInTheLanguageAndItsFormWritesOnlyWhatChanged() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let manager = try await server.login(.manager)
            let agent = try await server.login(.agent)
            let list = try await server.request("GET", "/admin/sla", cookie: "tm_session=\(agent)")
            #expect(list.status == 200)
            #expect(list.text.contains("data-policy=\"standard\"") && list.text.contains("使用中"))
            #expect(list.text.contains("2 小时 / 2 小时"))  // urgent: first response / update, as people read it
            #expect(!list.text.contains("id=\"sla-open\""))  // agents only read
            let agentPage = try await server.request("GET", "/admin/sla/standard", cookie: "tm_session=\(agent)")
            #expect(agentPage.status == 200 && !agentPage.text.contains("id=\"sla-targets\""))

            let page = try await server.request("GET", "/admin/sla/standard", cookie: "tm_session=\(manager)")
            #expect(page.text.contains("id=\"sla-targets\"") && page.text.contains("id=\"sla-calendar-form\""))
            let csrf = try #require(page.csrfToken)
            // Another site's edit of `accept` arrives after this page was shown.
            _ = try await server.store.setSLA("standard", settings: ["accept=45m"], actor: "manager")
            let before = try await server.store.vector()
            // The form sends every knob as shown, with one changed: only that one is written.
            var fields = Urgency.allCases.flatMap { level -> [String] in
                let targets = SLAPolicy.standard.level(level.rawValue)
                let first = level == .urgent ? "90m" : SLAPolicy.formatDuration(minutes: targets.firstResponse)
                return [
                    "first-response.\(level.rawValue)=\(first)",
                    "was.first-response.\(level.rawValue)=\(SLAPolicy.formatDuration(minutes: targets.firstResponse))",
                    "update.\(level.rawValue)=\(SLAPolicy.formatDuration(minutes: targets.update))",
                    "was.update.\(level.rawValue)=\(SLAPolicy.formatDuration(minutes: targets.update))",
                ]
            }
            fields += ["accept=1h", "was.accept=1h", "at-risk=75", "was.at-risk=75", "csrf=\(csrf)"]
            let saved = try await server.request(
                "POST", "/admin/sla/standard/targets", raw: fields.joined(separator: "&"), cookie: "tm_session=\(manager)",
                contentType: form)
            #expect(saved.status == 200)
            let after = try await server.store.vector()
            #expect(after[server.store.site] == before[server.store.site] + 1)  // one change: first-response.urgent
            let policy = try await server.store.slaPolicy(named: "standard")
            #expect(policy.level("urgent").firstResponse == 90 && policy.accept == 45)

            let invalid = try await server.request(
                "POST", "/admin/sla/standard/targets", raw: "accept=soon&csrf=\(csrf)", cookie: "tm_session=\(manager)", contentType: form)
            #expect(invalid.status == 400)
            // The rule in the page's language (item 4); in English with ?lang=en.
            #expect(invalid.text.contains("接单时限「soon」无效：须为 90m、2h、3d 或 1h30m 这样的时长"), "\(invalid.text)")
            let invalidEn = try await server.request(
                "POST", "/admin/sla/standard/targets?lang=en", raw: "accept=soon&csrf=\(csrf)", cookie: "tm_session=\(manager)",
                contentType: form)
            #expect(invalidEn.text.contains("invalid accept &#39;soon&#39;: must be a duration"), "\(invalidEn.text)")

            let calendar = try await server.request(
                "POST", "/admin/sla/standard/calendar",
                raw: "timeZone=Asia%2FShanghai&hours=mon-fri+09%3A00-18%3A00%0D%0Asat+10%3A00-12%3A00&holidays=2027-01-01&csrf=\(csrf)",
                cookie: "tm_session=\(manager)", contentType: form)
            #expect(calendar.status == 200)
            #expect(calendar.text.contains("周六 10:00–12:00") && calendar.text.contains("节假日 2027-01-01"))
            #expect(try await server.store.slaPolicy(named: "standard").calendar?.hours["sat"] == [.init(start: 600, end: 720)])
            let badZone = try await server.request(
                "POST", "/admin/sla/standard/calendar", raw: "timeZone=Nowhere&hours=mon+09%3A00-10%3A00&csrf=\(csrf)",
                cookie: "tm_session=\(manager)", contentType: form)
            #expect(badZone.status == 400 && badZone.text.contains("时区「Nowhere」无效"))

            let used = try await server.request(
                "POST", "/admin/sla/tiered/use", raw: "csrf=\(csrf)", cookie: "tm_session=\(manager)", contentType: form)
            #expect(used.status == 200)
            #expect(try await server.store.activePolicyName() == "tiered")
            let agentUse = try await server.request(
                "POST", "/admin/sla/standard/use", raw: "csrf=\(try #require(list.csrfToken))", cookie: "tm_session=\(agent)",
                contentType: form)
            #expect(agentUse.status == 403)
            #expect(try await server.store.activePolicyName() == "tiered")
        }
    }
}
