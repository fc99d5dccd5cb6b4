import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TicketMeshDomain
import TicketMeshMail
import TicketMeshServer
import TicketMeshStore

/// Keeps what the automation's drain hands to the MTA.
final class CollectingTransport: MailTransport {
    private let sent = Mutex<[MailMessage]>([])
    var messages: [MailMessage] { sent.withLock { $0 } }
    func send(_ message: [UInt8], recipient: String) async throws {
        let parsed = try MailMessage.parse(message)
        sent.withLock { $0.append(parsed) }
    }
}

/// `/api/mail/settings` and `/api/mail/outbox` (Docs/email.md, "Settings"; Docs/openapi.yaml).
@Suite struct MailAPITests {
    @Test func anAdminChangesMailSettingsAndOthersReadThem() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let admin = try await server.login(.admin)
            let put = try await server.request(
                "PUT", "/api/mail/settings", token: admin,
                json: ["senders": ["sh", "BJ"], "from": "support@tm.test", "fromName": "客服中心", "templates": ["ack.en": "Hi {name}: {number}"]])
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
            let unknownType = try await server.request("PUT", "/api/mail/settings", token: admin, json: ["type": "no/such"])
            #expect(unknownType.status == 404)
            let padded = try await server.request("PUT", "/api/mail/settings", token: admin, json: ["senders": [" SH"]])
            #expect(padded.status == 400)
            #expect(padded.message == "invalid senders ' SH': each must be a site code of 2–8 letters A–Z and digits")
            let get = try await server.request("GET", "/api/mail/settings", token: admin)
            #expect(get.object["from"] == nil)
            #expect(get.object["senders"] as? [String] == [])
            #expect(try await server.request("GET", "/api/mail/outbox", token: admin).status == 200)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func theAutomationLoopDrainsTheOutboxAtASenderSite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-web-\(UUID().uuidString)")
        let store = try await TestServer.makeStore(directory: directory)
        _ = try await store.setMailSettings(senders: ["HQ"], from: "support@tm.test", actor: "admin")
        let message = try MailMessage.parse(Array("From: Wang <wang@example.cn>\nSubject: 发票\nMessage-ID: <auto-drain@example.cn>\n\n发票抬头错了\n".utf8))
        let receipt = try await store.receiveMail(message, attachments: nil)
        let transport = CollectingTransport()
        let logger = Logger(label: "test.automation.mail")
        let automation = Automation(
            store: store, interval: .milliseconds(50), logger: logger,
            mail: .init(transport: transport, lockFile: directory.appendingPathComponent("mail-outbox.lock")))
        let group = ServiceGroup(configuration: .init(services: [automation], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while (try await store.lastAutomationRun()?.totals?.runs ?? 0) < 3, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        // Three runs, one receipt: the later drains found it sent.
        #expect(transport.messages.count == 1)
        #expect(transport.messages.first?.subject == "Re: [TM#\(receipt.ticketNumber ?? "")] 发票")
        #expect(try await store.outbox().map(\.status) == ["sent"])
    }
}
