import Foundation
import Synchronization
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

/// Issue 13, item 5: CSRF tokens, login throttling, constant login work, session revocation,
/// security headers (HTTPS: `HTTPSTests`).
@Suite(.timeLimit(.minutes(2)))
struct WebSecurityTests {
    static let form = "application/x-www-form-urlencoded"

    @Test func cookieFormPostsWithoutTheSessionsTokenAreRefusedAndChangeNothing() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let id = try #require(try await server.createTicket(agent)["id"] as? String)
            let cookie = "tm_session=\(agent)"
            let page = try await server.request("GET", "/tickets/\(id)", cookie: cookie)
            let csrf = try #require(page.csrfToken)
            // Every post form of the page carries the token.
            let forms = page.text.components(separatedBy: "<form method=\"post\"").dropFirst()
            #expect(forms.count == 7)  // six ticket actions and logout
            for form in forms { #expect(form.prefix(400).contains("name=\"csrf\" value=\"\(csrf)\"")) }

            let before = try await server.store.entries(ticketID: id).count
            for body in ["body=forged", "body=forged&csrf=", "body=forged&csrf=\(String(repeating: "0", count: 64))"] {
                let refused = try await server.request(
                    "POST",
                    "/tickets/\(id)/note",
                    raw: body,
                    cookie: cookie,
                    contentType: Self.form
                )
                #expect(refused.status == 403)
                #expect(refused.text.contains("没有本会话的 CSRF 令牌"))
                #expect(refused.text.contains("未做任何修改"))
            }
            // Another session's token is not this one's.
            let other = try await server.login(.agent)
            let foreign = try await server.request(
                "POST",
                "/tickets/\(id)/note",
                raw: "body=forged&csrf=\(try await server.csrfToken(other))",
                cookie: cookie,
                contentType: Self.form
            )
            #expect(foreign.status == 403)
            #expect(try await server.store.entries(ticketID: id).count == before)

            let accepted = try await server.request(
                "POST",
                "/tickets/\(id)/note",
                raw: "body=genuine&csrf=\(csrf)",
                cookie: cookie,
                contentType: Self.form,
                followRedirects: false
            )
            #expect(accepted.status == 303)
            let entries = try await server.store.entries(ticketID: id)
            #expect(entries.count == before + 1)
            #expect(entries.contains { $0.body == "genuine" })
            #expect(!entries.contains { $0.body == "forged" })

            // Logout is a form too: without the token the session stays.
            let logout = try await server.request("POST", "/logout", raw: "", cookie: cookie, contentType: Self.form)
            #expect(logout.status == 403)
            #expect(try await server.request("GET", "/api/me", token: agent).status == 200)
            let out = try await server.request(
                "POST",
                "/logout",
                raw: "csrf=\(csrf)",
                cookie: cookie,
                contentType: Self.form,
                followRedirects: false
            )
            #expect(out.status == 303)
            #expect(try await server.request("GET", "/api/me", token: agent).status == 401)
        }
    }

    @Test func cookieAPIWritesNeedTheHeaderAndBearerClientsNeedNone() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let id = try #require(try await server.createTicket(agent)["id"] as? String)
            let cookie = "tm_session=\(agent)"
            let refused = try await server.request(
                "POST",
                "/api/tickets/\(id)/notes",
                json: ["body": "forged"],
                cookie: cookie
            )
            #expect(refused.status == 403)
            #expect(refused.code == "csrf-token")
            #expect(refused.message.contains("X-CSRF-Token"))
            #expect(!(try await server.store.entries(ticketID: id)).contains { $0.body == "forged" })
            // Reads by cookie need no token.
            #expect(try await server.request("GET", "/api/tickets/\(id)", cookie: cookie).status == 200)

            let csrf = try await server.csrfToken(agent)
            let byCookie = try await server.request(
                "POST",
                "/api/tickets/\(id)/notes",
                json: ["body": "by page script"],
                cookie: cookie,
                headers: ["X-CSRF-Token": csrf]
            )
            #expect(byCookie.status == 201)
            let byBearer = try await server.request(
                "POST",
                "/api/tickets/\(id)/notes",
                token: agent,
                json: ["body": "by client"]
            )
            #expect(byBearer.status == 201)
            let bodies = try await server.store.entries(ticketID: id).map(\.body)
            #expect(bodies.contains("by page script") && bodies.contains("by client"))
        }
    }

    @Test func loginFormNeedsTheTokenOfItsOwnLoginPage() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let forged = try await server.request(
                "POST",
                "/login",
                raw: "user=agent&password=password-agent",
                contentType: Self.form,
                followRedirects: false
            )
            #expect(forged.status == 403)
            #expect(forged.text.contains("不是来自本站点的登录页"))
            #expect(forged.cookie("tm_session") == nil)
            let mismatched = try await server.request(
                "POST",
                "/login",
                raw: "user=agent&password=password-agent&csrf=\(String(repeating: "a", count: 64))",
                cookie: "tm_login=\(String(repeating: "b", count: 64))",
                contentType: Self.form,
                followRedirects: false
            )
            #expect(mismatched.status == 403)

            let login = try await server.formLogin(user: "agent", password: "password-agent")
            #expect(login.status == 303)
            #expect(login.headers["location"] == "/queue")
            let session = try #require(login.cookie("tm_session"))
            let setCookie = login.headers["set-cookie"] ?? ""
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            #expect(!setCookie.contains("Secure"))  // plain HTTP; HTTPSTests checks the other case
            #expect(try await server.request("GET", "/api/me", token: session).status == 200)
        }
    }

    @Test func failedLoginsAreThrottledPerUserAndASuccessResetsTheCount() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            func attempt(_ password: String, user: String = "agent") async throws -> TestServer.Reply {
                try await server.request("POST", "/api/login", json: ["user": user, "password": password])
            }
            for _ in 0..<4 { #expect(try await attempt("wrong-password").status == 401) }
            #expect(try await attempt("password-agent").status == 200)  // clears the four
            for _ in 0..<5 { #expect(try await attempt("wrong-password").status == 401) }
            let throttled = try await attempt("password-agent")  // the right password, too late
            #expect(throttled.status == 429)
            #expect(throttled.code == "too-many-attempts")
            #expect(throttled.message.contains("user 'agent'"))
            #expect(throttled.message.contains("5 within 15 minutes"))
            let retry = try #require(throttled.headers["retry-after"].flatMap { Int($0) })
            #expect((1...900).contains(retry))
            #expect(throttled.message.contains("try again in \(retry) seconds"))
            // Another user from the same address is not throttled.
            #expect(try await attempt("password-supervisor", user: "supervisor").status == 200)
            // The login page shows the same refusal.
            let page = try await server.formLogin(user: "agent", password: "password-agent")
            #expect(page.status == 429)
            #expect(page.headers["retry-after"] != nil)
            #expect(page.text.contains("id=\"flash\""))
            #expect(page.text.contains("用户「agent」登录失败次数过多"))
        }
    }

    @Test func failedLoginsAreThrottledPerClientAddress() async throws {
        try await TestServer.with(
            try await TestServer.makeStore(),
            configure: { $0.loginLimits = .init(perUser: 100, perAddress: 3) }
        ) { server in
            for name in ["x1", "x2", "agent"] {
                let reply = try await server.request(
                    "POST",
                    "/api/login",
                    json: ["user": name, "password": "wrong-password"]
                )
                #expect(reply.status == 401)
            }
            let throttled = try await server.request(
                "POST",
                "/api/login",
                json: ["user": "admin", "password": "password-admin"]
            )
            #expect(throttled.status == 429)
            #expect(throttled.message.contains("address 127.0.0.1"))
            #expect(throttled.headers["retry-after"] != nil)
        }
    }

    @Test func throttleForgetsAfterTheWindowAndKeepsItsTablesWithinCapacity() throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let throttle = LoginThrottle(
            limits: .init(perUser: 2, perAddress: 100, window: 60, capacity: 3),
            now: { clock.withLock { $0 } }
        )
        throttle.recordFailure(user: "a", address: "10.0.0.1")
        clock.withLock { $0 += 10 }
        throttle.recordFailure(user: "a", address: "10.0.0.1")
        let refusal = try #require(throttle.refusal(user: "a", address: "10.0.0.1"))
        #expect(refusal.retryAfter == 50)  // the first failure leaves the window 60 s after it
        #expect(refusal.subject == "user 'a'")
        clock.withLock { $0 += 50 }
        #expect(throttle.refusal(user: "a", address: "10.0.0.1") == nil)
        for index in 0..<50 { throttle.recordFailure(user: "user\(index)", address: "10.0.1.\(index)") }
        #expect(throttle.counts.users <= 3)
        #expect(throttle.counts.addresses <= 3)
        // The newest keys are the ones kept.
        throttle.recordFailure(user: "user49", address: nil)
        #expect(throttle.refusal(user: "user49", address: nil) != nil)
        // A name longer than any user name is cut, not stored whole.
        throttle.recordFailure(user: String(repeating: "n", count: 100_000), address: nil)
        #expect(throttle.counts.users <= 3)
    }

    /// Counts bcrypt verifications and the hashes they used.
    final class CountingVerifier: Sendable {
        let hashes = Mutex<[String]>([])
        var verify: @Sendable (String, String) -> Bool {
            { [self] password, hash in
                self.hashes.withLock { $0.append(hash) }
                return Passwords.verify(password, hash: hash)
            }
        }
        func take() -> [String] {
            hashes.withLock { hashes in
                defer { hashes = [] }; return hashes
            }
        }
    }

    @Test func everyLoginRunsOneBcryptVerificationWhetherTheUserExistsOrNot() async throws {
        #expect(Passwords.verify(Passwords.dummyPassword, hash: Passwords.dummyHash))  // well-formed: real work
        #expect(Passwords.dummyHash.split(separator: "$").dropFirst().first.map(String.init) == "10")
        #expect(Passwords.cost == 10)
        let store = try await TestServer.makeStore()
        _ = try await store.saveUser(User(name: "gone", role: .agent), actor: "admin")
        try await store.setPasswordHash("gone", hash: Passwords.hash("password-gone", rounds: 4), actor: "admin")
        _ = try await store.saveUser(User(name: "gone", role: .agent, active: false), actor: "admin")
        _ = try await store.saveUser(User(name: "nopass", role: .agent), actor: "admin")
        let verifier = CountingVerifier()
        try await TestServer.with(store, configure: { $0.verifyPassword = verifier.verify }) { server in
            var messages: Set<String> = []
            for (user, password) in [("nobody", "password-x"), ("gone", "password-gone"), ("nopass", "password-x")] {
                let reply = try await server.request("POST", "/api/login", json: ["user": user, "password": password])
                #expect(reply.status == 401)
                messages.insert(reply.message)
                #expect(verifier.take() == [Passwords.dummyHash], "login as \(user)")
            }
            let wrong = try await server.request(
                "POST",
                "/api/login",
                json: ["user": "agent", "password": "wrong-password"]
            )
            #expect(wrong.status == 401)
            messages.insert(wrong.message)
            let used = verifier.take()
            #expect(used.count == 1)
            #expect(used.first == (try await store.passwordHash(of: "agent")))
            #expect(messages == ["unauthorized: wrong user name or password"])  // one answer for all four
            _ = try await server.login(.agent)
            #expect(verifier.take().count == 1)
        }
    }

    /// The change comes through a second connection to the same replica file, as a CLI command or sync makes it.
    @Test func passwordChangeOrDeactivationElsewhereEndsTheUsersSessions() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-web-\(UUID().uuidString)")
        try await TestServer.with(try await TestServer.makeStore(directory: directory)) { server in
            let other = try ReplicaStore.open(directory: directory)
            let first = try await server.login(.agent), second = try await server.login(.agent)
            let supervisor = try await server.login(.supervisor)
            for token in [first, second, supervisor] {
                #expect(try await server.request("GET", "/api/me", token: token).status == 200)
            }

            try await other.setPasswordHash("agent", hash: Passwords.hash("password-new-1", rounds: 4), actor: "admin")
            for token in [first, second] {
                let ended = try await server.request("GET", "/api/me", token: token)
                #expect(ended.status == 401)
                #expect(ended.message.contains("password of user 'agent' was changed"))
            }
            let page = try await server.request("GET", "/queue", cookie: "tm_session=\(second)")
            #expect(page.text.contains("id=\"login-form\""))
            #expect(try await server.request("GET", "/api/me", token: supervisor).status == 200)
            let again = try await server.request(
                "POST",
                "/api/login",
                json: ["user": "agent", "password": "password-new-1"]
            )
            #expect(again.status == 200)
            let fresh = try #require(again.object["token"] as? String)
            #expect(try await server.request("GET", "/api/me", token: fresh).status == 200)

            _ = try await other.saveUser(User(name: "supervisor", role: .supervisor, active: false), actor: "admin")
            let deactivated = try await server.request("GET", "/api/me", token: supervisor)
            #expect(deactivated.status == 401)
            #expect(deactivated.message.contains("no longer active"))
            // Reactivating does not bring the ended session back.
            _ = try await other.saveUser(User(name: "supervisor", role: .supervisor, active: true), actor: "admin")
            #expect(try await server.request("GET", "/api/me", token: supervisor).status == 401)
            #expect(try await server.request("GET", "/api/me", token: fresh).status == 200)
        }
    }

    @Test func securityHeadersOnPagesAPIAssetsAndErrors() async throws {
        try await TestServer.with(try await TestServer.makeStore()) { server in
            let agent = try await server.login(.agent)
            let replies = [
                try await server.request("GET", "/login"),
                try await server.request("GET", "/queue", cookie: "tm_session=\(agent)"),
                try await server.request("GET", "/static/app.js"),
                try await server.request("GET", "/api/tickets", token: agent),
                try await server.request("GET", "/api/me"),  // 401
                try await server.request("POST", "/api/login", json: ["user": "agent"]),  // 400
                try await server.request("GET", "/api/tickets/nope", token: agent),  // 404
                try await server.request("DELETE", "/api/me", token: agent),  // 405
                try await server.request("GET", "/no/such/page"),  // 404 from the router
                try await server.request("GET", "/reports", cookie: "tm_session=\(agent)"),  // 403 page
            ]
            #expect(replies.map(\.status) == [200, 200, 200, 200, 401, 400, 404, 405, 404, 403])
            for reply in replies {
                let policy = reply.headers["content-security-policy"] ?? ""
                #expect(policy.contains("default-src 'self'"), "\(reply.status)")
                #expect(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"))
                #expect(policy.contains("frame-ancestors 'none'") && policy.contains("form-action 'self'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(reply.headers["x-frame-options"] == "DENY")
                #expect(reply.headers["x-content-type-options"] == "nosniff")
                #expect(reply.headers["referrer-policy"] == "same-origin")
                #expect(reply.headers["strict-transport-security"] == nil)  // plain HTTP
            }
            // The policy holds because pages have no inline script or style.
            for page in [replies[0], replies[1]] {
                #expect(
                    !page.text.contains("<script>") && !page.text.contains("<style") && !page.text.contains("style=")
                )
                #expect(page.text.contains("<script src=\"/static/app.js\"></script>"))
            }
        }
    }
}
