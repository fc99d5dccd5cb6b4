import Foundation
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

/// Issue 13, items 3 and 4 over HTTP: every operation of Docs/openapi.yaml, without a token and for
/// every role, answers what its `x-permission` says (success, 401 or 403), and no answer shows a
/// password hash or personal numbers in clear unless it is a reveal by a role that may.
@Suite(.timeLimit(.minutes(4)))
struct ReadRightsMatrixTests {
    /// One operation of the document.
    struct Operation: CustomStringConvertible {
        var path: String
        var method: String
        var id: String
        var permission: String?
        var description: String { "\(method.uppercased()) \(path) (\(id))" }
    }

    /// The operations of an OpenAPI YAML document (as `MethodNotAllowedMiddleware` reads its paths:
    /// two-space `/path:` keys, four-space methods, six-space `operationId` and `x-permission`).
    static func operations(in yaml: String) -> [Operation] {
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var result: [Operation] = []
        var path: String?
        var inPaths = false
        for line in yaml.split(separator: "\n") {
            if !line.hasPrefix(" ") {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let indent = line.prefix { $0 == " " }.count
            if indent == 2, trimmed.hasPrefix("/"), trimmed.hasSuffix(":") {
                path = String(trimmed.dropLast())
            } else if indent == 4, trimmed.hasSuffix(":"), methods.contains(String(trimmed.dropLast())), let path {
                result.append(Operation(path: path, method: String(trimmed.dropLast()), id: "", permission: nil))
            } else if indent == 6, trimmed.hasPrefix("operationId: "), !result.isEmpty {
                result[result.count - 1].id = String(trimmed.dropFirst("operationId: ".count))
            } else if indent == 6, trimmed.hasPrefix("x-permission: "), !result.isEmpty {
                result[result.count - 1].permission = String(trimmed.dropFirst("x-permission: ".count))
            }
        }
        return result
    }

    static var document: String {
        get throws {
            let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Docs/openapi.yaml")
            return try String(contentsOf: docs, encoding: .utf8)
        }
    }

    /// Personal data planted in the fixture: none of it may appear in an answer but a permitted reveal's.
    static let idCard = "11010519491231002X"
    static let mobile = "13912345678"
    static let bankCard = "4111 1111 1111 1111"
    static let customerPhone = "+86 138 0013 1234"
    static let summary = "客户身份证号是\(idCard)电话\(mobile)"
    static let details = "refund to card \(bankCard) please"

    /// What one request of the matrix sends and what success looks like.
    struct Request {
        var path: String
        var body: Any?
        var success: Int
    }

    /// How to exercise each operation: a new operation without an entry here fails the matrix.
    static let fixtures: [String: @Sendable (ReplicaStore) async throws -> Request] = [
        "login": { _ in
            Request(path: "/api/login", body: ["user": "agent", "password": "password-agent"], success: 200)
        },
        "logout": { _ in Request(path: "/api/logout", body: nil, success: 204) },
        "me": { _ in Request(path: "/api/me", success: 200) },
        "listRequestTypes": { _ in Request(path: "/api/request-types", success: 200) },
        "listUsers": { _ in Request(path: "/api/users", success: 200) },
        // An existing user changed (200); a refused role writes nothing.
        "saveUser": { _ in Request(path: "/api/users", body: ["name": "analyst", "department": "报表组"], success: 200) },
        "listSLAPolicies": { _ in Request(path: "/api/sla/policies", success: 200) },
        "getSLAPolicy": { _ in Request(path: "/api/sla/policies/standard", success: 200) },
        "changeSLAPolicy": { _ in Request(path: "/api/sla/policies/standard", body: ["accept": 90], success: 200) },
        "setSLACalendar": { _ in
            Request(
                path: "/api/sla/policies/standard/calendar", body: ["timeZone": "Asia/Shanghai", "hours": ["mon-fri 09:00-18:00"]],
                success: 200)
        },
        "useSLAPolicy": { _ in Request(path: "/api/sla/active", body: ["policy": "standard"], success: 200) },
        "saveRequestType": { _ in
            Request(path: "/api/request-types", body: ["path": "complaint/delivery", "label": "配送"], success: 200)
        },
        // Any conflict of the fixture, resolved or not (a second resolution overwrites the first).
        "resolveConflict": { store in
            Request(path: "/api/conflicts/\(try #require(try await store.conflicts().first).id)/resolution", body: ["keep": "winner"], success: 200)
        },
        "listTickets": { _ in Request(path: "/api/tickets", success: 200) },
        "createTicket": { _ in
            Request(
                path: "/api/tickets",
                body: [
                    "customerId": "C0001", "channel": "phone", "type": "complaint/service", "urgency": "normal",
                    "summary": summary, "details": details,
                ],
                success: 201
            )
        },
        "showTicket": { store in Request(path: "/api/tickets/\(try await ticket(store))", success: 200) },
        "updateTicket": { store in
            Request(
                path: "/api/tickets/\(try await ticket(store))",
                body: ["details": details + " again"],
                success: 200
            )
        },
        "assignTicket": { store in
            Request(path: "/api/tickets/\(try await ticket(store))/assign", body: ["to": "agent"], success: 200)
        },
        "escalateTicket": { store in
            Request(
                path: "/api/tickets/\(try await ticket(store))/escalate",
                body: ["tier": 2, "reason": "电话\(mobile)"],
                success: 200
            )
        },
        "resolveTicket": { store in
            Request(
                path: "/api/tickets/\(try await ticket(store, .inProgress))/resolve",
                body: ["result": "done"],
                success: 200
            )
        },
        "bulkTickets": { store in
            Request(
                path: "/api/tickets/bulk", body: ["action": "close", "tickets": [try await ticket(store, .resolved)]], success: 200)
        },
        "closeTicket": { store in
            Request(path: "/api/tickets/\(try await ticket(store, .resolved))/close", success: 200)
        },
        "reopenTicket": { store in
            Request(
                path: "/api/tickets/\(try await ticket(store, .resolved))/reopen",
                body: ["reason": "again"],
                success: 200
            )
        },
        "setTicketState": { store in
            Request(path: "/api/tickets/\(try await ticket(store))/state", body: ["state": "in-progress"], success: 200)
        },
        "rateTicket": { store in
            Request(path: "/api/tickets/\(try await ticket(store, .resolved))/rating", body: ["score": 4], success: 200)
        },
        "addNote": { store in
            Request(
                path: "/api/tickets/\(try await ticket(store))/notes",
                body: ["body": "卡号\(bankCard)"],
                success: 201
            )
        },
        "addReply": { store in
            Request(
                path: "/api/tickets/\(try await ticket(store))/replies",
                body: ["body": "回电 \(mobile)"],
                success: 201
            )
        },
        "revealTicket": { store in Request(path: "/api/tickets/\(try await ticket(store))/reveal", success: 200) },
        "listCustomers": { _ in Request(path: "/api/customers", success: 200) },
        "addCustomer": { _ in
            Request(path: "/api/customers", body: ["name": "新客户", "phone": "13712345678"], success: 201)
        },
        "showCustomer": { _ in Request(path: "/api/customers/C0001", success: 200) },
        "revealCustomer": { _ in Request(path: "/api/customers/C0001/reveal", success: 200) },
        "searchKnowledge": { _ in Request(path: "/api/kb?q=%E7%89%A9%E6%B5%81", success: 200) },
        "listConflicts": { _ in Request(path: "/api/conflicts", success: 200) },
        "status": { _ in Request(path: "/api/status", success: 200) },
        "mailSettings": { _ in Request(path: "/api/mail/settings", success: 200) },
        "setMailSettings": { _ in Request(path: "/api/mail/settings", body: ["from": "support@tm.test", "senders": ["SH"]], success: 200) },
        "mailOutbox": { _ in Request(path: "/api/mail/outbox", success: 200) },
        "openapi": { _ in Request(path: "/openapi.yaml", success: 200) },
    ]

    /// A fresh ticket full of personal data, in `state` (new, in progress or resolved).
    static func ticket(_ store: ReplicaStore, _ state: TicketState = .new) async throws -> String {
        let ticket = try await store.createTicket(
            TicketDraft(
                customerId: "C0001",
                channel: "phone",
                type: "complaint/service",
                urgency: "normal",
                summary: summary,
                details: details
            ),
            actor: "admin"
        )
        _ = try await store.addEntry(ticket.id, kind: .note, body: "身份证 \(idCard)", actor: "admin")
        if state == .inProgress || state == .resolved {
            _ = try await store.transition(ticket.id, to: .inProgress, event: "work started", actor: "admin")
        }
        if state == .resolved {
            _ = try await store.addEntry(ticket.id, kind: .reply, body: "已处理", actor: "admin")
            _ = try await store.resolve(ticket.id, result: "退款到 \(bankCard)", actor: "admin")
        }
        return ticket.id
    }

    /// Conflicting concurrent writes at HQ and a branch of a password hash, a phone and a summary,
    /// delivered both ways, so `/api/conflicts` has values to mask.
    static func plantConflicts(_ hq: ReplicaStore) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-br-\(UUID().uuidString)")
        let branch = try ReplicaStore.create(directory: directory, site: try SiteCode("BR"), name: nil)
        let id = try await ticket(hq)
        try await deliver(from: hq, to: branch)
        // Two hashes of the same password (different salts): whichever wins, the agent still logs in.
        try await hq.setPasswordHash("agent", hash: Passwords.hash("password-agent", rounds: 4), actor: "admin")
        try await branch.setPasswordHash("agent", hash: Passwords.hash("password-agent", rounds: 4), actor: "admin")
        _ = try await hq.updateCustomer("C0001", fields: ["phone": "13512345678"], actor: "admin")
        _ = try await branch.updateCustomer("C0001", fields: ["phone": "13612345678"], actor: "admin")
        _ = try await hq.updateTicket(id, fields: ["summary": "HQ 电话 13312345678"], actor: "admin")
        _ = try await branch.updateTicket(id, fields: ["summary": "BR 身份证 \(idCard)"], actor: "admin")
        try await deliver(from: branch, to: hq)
        try await deliver(from: hq, to: branch)
        return id
    }

    static func deliver(from: ReplicaStore, to: ReplicaStore) async throws {
        let missing = try await from.blocks(after: try await to.heads(), cursor: nil, limit: Int.max)
        _ = try await to.apply(missing)
        try await to.settle()
    }

    /// Every password hash of the fixture (and the bcrypt prefixes): no answer may hold one.
    static func hashes(_ store: ReplicaStore) async throws -> [String] {
        var hashes = ["$2b$", "$2a$", "$2y$"]
        for role in TestServer.roles {
            if let hash = try await store.passwordHash(of: role.rawValue) {
                hashes += [hash, hash.replacingOccurrences(of: "/", with: "\\/")]
            }
        }
        return hashes
    }

    /// The personal numbers of the fixture: only a permitted reveal may show them.
    static let personal = [
        idCard, mobile, bankCard, bankCard.filter { $0 != " " }, customerPhone, "13512345678", "13612345678",
        "13312345678",
        "13712345678",
    ]

    @Test func everyOperationAnswersWhatItsPermissionSaysAndMasksPersonalData() async throws {
        let operations = Self.operations(in: try Self.document)
        #expect(operations.count >= 25)
        let store = try await TestServer.makeStore()
        _ = try await Self.plantConflicts(store)
        _ = try await store.addArticle(
            title: "物流查询",
            body: "如何查询快递物流状态, 热线 \(Self.mobile)",
            category: "logistics",
            actor: "admin"
        )
        #expect(try await store.unresolvedConflicts().count >= 3, "the fixture has conflicts to mask")
        let hashes = try await Self.hashes(store)
        try await TestServer.with(store) { server in
            for operation in operations {
                let permission: Permission?
                switch operation.permission {
                case "none", "any user": permission = nil
                case let raw?:
                    permission = Permission(rawValue: raw)
                    #expect(permission != nil, "\(operation): x-permission '\(raw)' names no Permission")
                case nil:
                    Issue.record("\(operation) has no x-permission: say which permission it needs")
                    continue
                }
                guard let fixture = Self.fixtures[operation.id] else {
                    Issue.record(
                        "\(operation) has no fixture in ReadRightsMatrixTests: add one with its expected success"
                    )
                    continue
                }
                for role in [Role?.none] + TestServer.roles.map(Optional.some) {
                    let request = try await fixture(store)
                    let template = operation.path.split(separator: "/").map { $0.hasPrefix("{") ? nil : $0 }
                    let concrete = request.path.split(separator: "?")[0].split(separator: "/")
                    #expect(
                        template.count == concrete.count
                            && zip(template, concrete).allSatisfy { $0 == nil || $0 == $1 },
                        "\(operation): fixture path \(request.path)"
                    )
                    var token: String?
                    if let role { token = try await server.login(role) }
                    let before = try await store.changeCount()
                    let reply = try await server.request(
                        operation.method.uppercased(),
                        request.path,
                        token: token,
                        json: request.body ?? [String: Any]()
                    )
                    let label = "\(operation) as \(role?.rawValue ?? "no token")"
                    let expected: Int =
                        if operation.permission == "none" {
                            request.success
                        } else if role == nil {
                            401
                        } else if let permission, !role!.allows(permission) {
                            403
                        } else {
                            request.success
                        }
                    #expect(reply.status == expected, "\(label): \(reply.text.prefix(300))")
                    if expected == 403 {
                        #expect(reply.message.contains("role \(role!.rawValue)"), "\(label)")
                        #expect(try await store.changeCount() == before, "\(label): a refused request wrote")
                    }
                    for hash in hashes {
                        #expect(!reply.text.contains(hash), "\(label) shows a password hash")
                    }
                    let revealing = permission == .revealContacts && expected == request.success
                    if revealing {
                        // The stored values, in clear, and the reveal is on record.
                        #expect(reply.text.contains(Self.idCard), "\(label): \(reply.text.prefix(200))")
                        #expect(try await store.changeCount() > before, "\(label): a reveal is recorded")
                    } else {
                        for number in Self.personal {
                            #expect(!reply.text.contains(number), "\(label) shows '\(number.suffix(4))' in clear")
                        }
                    }
                }
            }
            #expect(
                Set(Self.fixtures.keys) == Set(operations.map(\.id)),
                "fixtures for operations the document no longer has"
            )
        }
    }

    @Test func revealIsAnAuditedReplicatedRecordAndAnalystsNeverReveal() async throws {
        let store = try await TestServer.makeStore()
        let id = try await Self.ticket(store)
        try await TestServer.with(store) { server in
            for role in TestServer.roles {
                let token = try await server.login(role)
                let masked = try await server.request("GET", "/api/customers/C0001", token: token)
                #expect(!masked.text.contains(Self.customerPhone), "\(role)")
                #expect((masked.object["customer"] as? [String: Any])?["phone"] as? String == "*********1234")
                let reveal = try await server.request("POST", "/api/customers/C0001/reveal", token: token)
                if role.allows(.revealContacts) {
                    #expect(reveal.status == 200)
                    #expect((reveal.object["customer"] as? [String: Any])?["phone"] as? String == Self.customerPhone)
                } else {
                    #expect(reveal.status == 403, "\(role)")
                }
            }
            let analyst = try await server.login(.analyst)
            #expect(try await server.request("POST", "/api/tickets/\(id)/reveal", token: analyst).status == 403)
            let manager = try await server.login(.manager)
            let ticket = try await server.request("POST", "/api/tickets/\(id)/reveal", token: manager)
            #expect(ticket.status == 200)
            #expect((ticket.object["fields"] as? [String: Any])?["summary"] as? String == Self.summary)
        }
        let reveals = try await store.reveals(of: "C0001")
        #expect(reveals.map(\.by) == TestServer.roles.filter { $0.allows(.revealContacts) }.map(\.rawValue))
        #expect(reveals.allSatisfy { $0.site == "HQ" && $0.entity == "customer" })
        let audit = try await store.audit(id, actor: "admin")
        #expect(audit.writes.contains { $0.entity == "reveal" && $0.field == "by" && $0.value == "manager" })
        let customerAudit = try await store.audit("C0001", actor: "supervisor")
        #expect(customerAudit.writes.filter { $0.entity == "reveal" && $0.field == "by" }.count == 3)
        #expect(customerAudit.writes.allSatisfy { $0.value?.contains("0013") != true }, "the audit masks the phone")
        await #expect(throws: DomainError.self) { try await store.audit(id, actor: "analyst") }
        // The reveal record replicates like any change.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-br-\(UUID().uuidString)")
        let branch = try ReplicaStore.create(directory: directory, site: try SiteCode("BR"), name: nil)
        try await Self.deliver(from: store, to: branch)
        #expect(try await branch.reveals(of: "C0001") == reveals)
    }
}

/// The web UI's reveal: a button for roles that may, a POST with the session's CSRF token, the
/// page in clear, and the reveal on record; analysts get neither the button nor the number.
@Suite(.timeLimit(.minutes(2)))
struct WebRevealTests {
    @Test func customerPageRevealsOnlyForRolesThatMay() async throws {
        let store = try await TestServer.makeStore()
        try await TestServer.with(store) { server in
            let form = "application/x-www-form-urlencoded"
            for role in TestServer.roles {
                let token = try await server.login(role)
                let page = try await server.request("GET", "/customers/C0001", cookie: "tm_session=\(token)")
                #expect(page.text.contains("*********1234") && !page.text.contains("+86 138 0013 1234"), "\(role)")
                #expect(page.text.contains("id=\"reveal-form\"") == role.allows(.revealContacts), "\(role)")
                let csrf = try await server.csrfToken(token)
                let before = try await store.changeCount()
                let revealed = try await server.request(
                    "POST",
                    "/customers/C0001/reveal",
                    raw: "csrf=\(csrf)",
                    cookie: "tm_session=\(token)",
                    contentType: form
                )
                if role.allows(.revealContacts) {
                    #expect(revealed.status == 200, "\(role)")
                    #expect(revealed.text.contains("+86 138 0013 1234"), "\(role)")
                    #expect(!revealed.text.contains("id=\"reveal-form\""))
                    #expect(try await store.reveals(of: "C0001").last?.by == role.rawValue)
                } else {
                    #expect(revealed.status == 403, "\(role)")
                    #expect(!revealed.text.contains("+86 138 0013 1234"))
                    #expect(try await store.changeCount() == before)
                }
            }
            // The ticket page: the same rule.
            let id = try await ReadRightsMatrixTests.ticket(store)
            for role in [Role.analyst, .supervisor] {
                let token = try await server.login(role)
                let page = try await server.request("GET", "/tickets/\(id)", cookie: "tm_session=\(token)")
                #expect(!page.text.contains(ReadRightsMatrixTests.idCard) && page.text.contains(Redaction.idCardMark))
                #expect(page.text.contains("id=\"ticket-reveal-form\"") == role.allows(.revealContacts))
                let csrf = try await server.csrfToken(token)
                let revealed = try await server.request(
                    "POST",
                    "/tickets/\(id)/reveal",
                    raw: "csrf=\(csrf)",
                    cookie: "tm_session=\(token)",
                    contentType: form
                )
                #expect(revealed.status == (role.allows(.revealContacts) ? 200 : 403), "\(role)")
                #expect(revealed.text.contains(ReadRightsMatrixTests.idCard) == role.allows(.revealContacts), "\(role)")
            }
            #expect(try await store.reveals(of: id).map(\.by) == ["supervisor"])
            // Without the CSRF token the reveal is refused and writes nothing.
            let admin = try await server.login(.admin)
            let before = try await store.changeCount()
            let forged = try await server.request(
                "POST",
                "/customers/C0001/reveal",
                raw: "",
                cookie: "tm_session=\(admin)",
                contentType: form
            )
            #expect(forged.status == 403)
            #expect(try await store.changeCount() == before)
        }
    }
}
