import Foundation
import Logging
import ServiceLifecycle
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `WebServer` listening on 127.0.0.1, port 0, over a replica file (as `serve` runs, so the read
/// cache is in play) with one user per role.
///
/// Every user's password is `password-<name>`; users are named after their roles.
struct TestServer {
    let store: ReplicaStore
    let port: Int

    static let roles: [Role] = [.admin, .agent, .specialist, .supervisor, .manager, .analyst]

    /// A fresh replica with a customer, one user per role (with passwords) unless `users` is false.
    static func makeStore(
        users: Bool = true,
        directory: URL = FileManager.default.temporaryDirectory.appendingPathComponent("tm-web-\(UUID().uuidString)")
    ) async throws -> ReplicaStore {
        let store = try ReplicaStore.create(directory: directory, site: try SiteCode("HQ"), name: nil)
        guard users else { return store }
        _ = try await store.saveUser(User(name: "admin", role: .admin), actor: nil)
        for role in roles where role != .admin {
            _ = try await store.saveUser(User(name: role.rawValue, role: role), actor: "admin")
        }
        for role in roles {
            try await store.setPasswordHash(
                role.rawValue,
                hash: Passwords.hash("password-\(role.rawValue)", rounds: 4),
                actor: "admin"
            )
        }
        _ = try await store.addCustomer(
            Customer(id: "C0001", name: "上海物流有限公司", contactPerson: "王经理", phone: "+86 138 0013 1234"),
            generateID: false,
            actor: "admin"
        )
        return store
    }

    /// Runs `body` against a live server over `store`, then shuts it down gracefully.
    static func with(
        _ store: ReplicaStore,
        peers: @escaping @Sendable () async -> [PeerView] = { [] },
        configure: (inout WebServer.Configuration) -> Void = { _ in },
        _ body: (TestServer) async throws -> Void
    ) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test.web")
        logger.logLevel = .warning
        var configuration = WebServer.Configuration(
            host: "127.0.0.1",
            port: 0,
            onListening: { _, port in continuation.yield(port) },
            peers: peers
        )
        configure(&configuration)
        let server = WebServer(store: store, configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                try await body(TestServer(store: store, port: port))
            } catch {
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// A session that neither stores nor sends cookies: tests set the `Cookie` header themselves.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration)
    }()

    /// A session like `session` that does not follow redirects, to see a 303's own headers.
    static let direct: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }()

    /// Refuses every redirect, so the response is the 3xx itself.
    final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession,
            task: URLSessionTask,
            willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest,
            completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }

    /// One HTTP exchange.
    struct Reply {
        let status: Int
        let body: Data
        let headers: [String: String]
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as JSON (object or array).
        func json() throws -> Any { try JSONSerialization.jsonObject(with: body) }
        var object: [String: Any] { ((try? json()) as? [String: Any]) ?? [:] }
        var array: [[String: Any]] { ((try? json()) as? [[String: Any]]) ?? [] }
        /// The error message of an error body.
        var message: String { ((object["error"] as? [String: Any])?["message"] as? String) ?? "" }
        /// The error code of an error body.
        var code: String { ((object["error"] as? [String: Any])?["code"] as? String) ?? "" }
        /// The page's CSRF token, from `<meta name="csrf-token">`.
        var csrfToken: String? {
            guard let start = text.range(of: "<meta name=\"csrf-token\" content=\"") else { return nil }
            return text[start.upperBound...].split(separator: "\"", maxSplits: 1).first.map(String.init)
        }
        /// The value of the hidden `csrf` field of the first form.
        var csrfField: String? {
            guard let start = text.range(of: "name=\"csrf\" value=\"") else { return nil }
            return text[start.upperBound...].split(separator: "\"", maxSplits: 1).first.map(String.init)
        }
        /// The value of cookie `name` set by this response.
        func cookie(_ name: String) -> String? {
            guard let header = headers["set-cookie"], let start = header.range(of: "\(name)=") else { return nil }
            return header[start.upperBound...].split(separator: ";", maxSplits: 1).first.map(String.init)
        }
    }

    /// Sends a request; `json` is encoded as the body, `raw` sent as is.
    func request(
        _ method: String,
        _ path: String,
        token: String? = nil,
        json: Any? = nil,
        raw: String? = nil,
        cookie: String? = nil,
        contentType: String = "application/json",
        headers extra: [String: String] = [:],
        followRedirects: Bool = true
    ) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = 30
        request.httpShouldHandleCookies = false
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let cookie { request.setValue(cookie, forHTTPHeaderField: "Cookie") }
        for (name, value) in extra { request.setValue(value, forHTTPHeaderField: name) }
        if method != "GET", let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        } else if method != "GET", let raw {
            request.httpBody = Data(raw.utf8)
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await (followRedirects ? Self.session : Self.direct).data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            headers[String(describing: key).lowercased()] = String(describing: value)
        }
        return Reply(status: http.statusCode, body: data, headers: headers)
    }

    /// Logs in as the user named after `role` and returns the token.
    func login(_ role: Role) async throws -> String {
        let reply = try await request(
            "POST",
            "/api/login",
            json: ["user": role.rawValue, "password": "password-\(role.rawValue)"]
        )
        guard reply.status == 200, let token = reply.object["token"] as? String else {
            throw LoginFailed(status: reply.status, body: reply.text)
        }
        return token
    }

    /// Logs in through the login form (its page first, for the `tm_login` token); the reply is the
    /// 303 to the queue, or the login page with the refusal.
    func formLogin(user: String, password: String) async throws -> Reply {
        let page = try await request("GET", "/login")
        let token = try #require(page.cookie("tm_login"))
        #expect(page.csrfField == token)
        let form = "user=\(user)&password=\(password)&csrf=\(token)"
        return try await request(
            "POST",
            "/login",
            raw: form,
            cookie: "tm_login=\(token)",
            contentType: "application/x-www-form-urlencoded",
            followRedirects: false
        )
    }

    /// The CSRF token of the session `token` as a page shows it.
    func csrfToken(_ token: String) async throws -> String {
        try #require(try await request("GET", "/queue", cookie: "tm_session=\(token)").csrfToken)
    }

    struct LoginFailed: Error {
        let status: Int
        let body: String
    }

    /// Creates a ticket through the API as `token`; returns its JSON.
    func createTicket(
        _ token: String,
        urgency: String = "normal",
        summary: String = "快递延误"
    ) async throws -> [String: Any] {
        let reply = try await request(
            "POST",
            "/api/tickets",
            token: token,
            json: [
                "customerId": "C0001", "channel": "phone", "type": "complaint/service", "urgency": urgency,
                "summary": summary,
            ]
        )
        guard reply.status == 201 else { throw LoginFailed(status: reply.status, body: reply.text) }
        return reply.object
    }
}
