import Foundation
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

/// `/api/mail/settings` and `/api/mail/outbox` (Docs/email.md, "Settings"; Docs/openapi.yaml).
@Suite struct MailAPITests {
    @Test func anAdminChangesMailSettingsAndOthersReadThem() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let admin = try await server.login(.admin)
            let put = try await server.request(
                "PUT", "/api/mail/settings", token: admin,
                json: ["senders": "sh,BJ", "from": "support@tm.test", "fromName": "客服中心", "templates": ["ack.en": "Hi {name}: {number}"]])
            #expect(put.status == 200)
            #expect(put.object["senders"] as? [String] == ["SH", "BJ"])
            let agent = try await server.login(.agent)
            let get = try await server.request("GET", "/api/mail/settings", token: agent)
            #expect(get.status == 200)
            #expect(get.object["from"] as? String == "support@tm.test")
            #expect((get.object["templates"] as? [String: String])?["ack.en"] == "Hi {name}: {number}")
            let refused = try await server.request("PUT", "/api/mail/settings", token: agent, json: ["from": "x@tm.test"])
            #expect(refused.status == 403)
        }
    }

    @Test func badMailSettingsAre400NamingTheFieldAndChangeNothing() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let admin = try await server.login(.admin)
            let bad = try await server.request("PUT", "/api/mail/settings", token: admin, json: ["from": "Support <s@tm.test>"])
            #expect(bad.status == 400)
            #expect(bad.message == "invalid from 'Support <s@tm.test>': must be one address like support@example.com (no name, no brackets)")
            let template = try await server.request("PUT", "/api/mail/settings", token: admin, json: ["templates": ["hello.en": "x"]])
            #expect(template.status == 400)
            #expect(template.message.hasPrefix("invalid template 'hello.en': must be KIND.LANGUAGE"))
            let get = try await server.request("GET", "/api/mail/settings", token: admin)
            #expect(get.object["from"] == nil)
            #expect(try await server.request("GET", "/api/mail/outbox", token: admin).status == 200)
        }
    }
}
