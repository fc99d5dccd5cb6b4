import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

/// The JSON API under `/api` (Docs/openapi.yaml): login, tickets, customers, knowledge base, conflicts, status.
///
/// Every route but login needs a bearer token (401); the store checks the role of the acting
/// user (403); bad input is 400 naming the field and rule, unknown records 404, illegal
/// transitions 409. Each command is one store transaction, so nothing is written on any error.
struct API: Sendable {
    let backend: Backend

    /// A handler that runs for an authenticated user.
    typealias Handler = @Sendable (Request, BasicRequestContext, User) async throws -> Response

    func register(on router: Router<BasicRequestContext>) {
        let api = router.group("api")
        api.post("login") { request, _ in try await guarded { try await login(request) } }
        route(api, .post, "logout") { request, _, _ in
            if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
                backend.sessions.revoke(String(header.dropFirst(7)))
            }
            return Response(status: .noContent)
        }
        route(api, .get, "me") { _, _, user in try JSON.response(user) }
        registerTickets(on: api)
        registerOthers(on: api)
        registerAdmin(on: api)
        registerSLA(on: api)
        registerMail(on: api)
    }

    /// Adds an authenticated route whose errors become API errors.
    func route(
        _ group: RouterGroup<BasicRequestContext>,
        _ method: HTTPRequest.Method,
        _ path: RouterPath,
        _ handler: @escaping Handler
    ) {
        let backend = self.backend
        group.on(path, method: method) { request, context in
            try await guarded {
                let user = try await backend.authenticate(request)
                return try await handler(request, context, user)
            }
        }
    }

    private func login(_ request: Request) async throws -> Response {
        let fields = try await Fields.read(request)
        try fields.allowOnly(["user", "password"])
        let name = try fields.text("user", required: true)!
        let password = try fields.text("password", required: true)!
        let session = try await backend.login(user: name, password: password, address: ClientAddress.current)
        struct Body: Encodable {
            let token: String
            let user: User
            let expiresAt: String
        }
        return try JSON.response(
            Body(
                token: session.token,
                user: session.user,
                expiresAt: ISO8601DateFormatter().string(from: session.expiresAt)
            )
        )
    }

    private func registerOthers(on api: RouterGroup<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(api, .get, "customers") { request, _, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            let limit = try Self.limit(request)
            return try JSON.response(try await store.customers(limit: limit).map(disclosure.customer))
        }
        route(api, .post, "customers") { request, _, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(["id", "name", "contactPerson", "phone", "email", "industry", "level"])
            // Fields with a `pattern` in the document: see `Fields.droppingFinalNewline`.
            func trimmed(_ name: String) throws -> String? {
                try fields.text(name).map(Fields.droppingFinalNewline)
            }
            let id = try trimmed("id")
            let customer = Customer(
                id: id ?? "",
                name: try fields.text("name", required: true, limit: 200)!,
                contactPerson: try fields.text("contactPerson"),
                phone: try trimmed("phone"),
                email: try fields.text("email", limit: 254),
                industry: try fields.text("industry"),
                level: try trimmed("level") ?? "normal"
            )
            let saved = try await store.addCustomer(customer, generateID: id == nil, actor: user.name)
            return try JSON.response(Disclosure.masked.customer(saved), status: .created)
        }
        route(api, .get, "customers/:id") { _, context, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            return try JSON.response(try await Self.customer(try context.parameters.require("id"), store: store, disclosure: disclosure))
        }
        route(api, .post, "customers/:id/reveal") { request, context, user in
            try await Fields.read(request).allowOnly([])
            let id = try context.parameters.require("id")
            let disclosure = try await store.reveal(.customer(id), actor: user.name)
            return try JSON.response(try await Self.customer(id, store: store, disclosure: disclosure))
        }
        route(api, .get, "kb") { request, _, user in
            let disclosure = try await backend.disclosure(.viewTickets, for: user)
            let parameters = Fields.query(request)
            let query = parameters["q"] ?? ""
            let category = parameters["category"].map(Fields.droppingFinalNewline).flatMap { $0.isEmpty ? nil : $0 }
            return try JSON.response(
                try await store.searchArticles(query, category: category, limit: try Self.limit(request, default: 20))
                    .map(disclosure.article)
            )
        }
        route(api, .get, "conflicts") { _, _, user in
            try JSON.response(try await store.unresolvedConflicts(actor: user.name))
        }
        route(api, .get, "status") { _, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            return try JSON.response(try await Self.status(store))
        }
    }

    /// A customer and their tickets, as `disclosure` shows them.
    static func customer(_ id: String, store: ReplicaStore, disclosure: Disclosure) async throws -> some Encodable {
        struct Body: Encodable {
            let customer: Customer
            let tickets: [Ticket]
        }
        let customer = try await store.customer(id)
        let tickets = try await store.tickets(matching: .init(customerId: customer.id, limit: 200))
        return Body(customer: disclosure.customer(customer), tickets: tickets.map(disclosure.ticket))
    }

    /// Site, name, version vector, digest and the last automation run, as `ticketmesh status --json` prints them.
    static func status(_ store: ReplicaStore) async throws -> some Encodable {
        struct Body<Vector: Encodable>: Encodable {
            let site: String
            let name: String
            let vector: Vector
            let digest: String
            let changes: Int
            let tickets: Int
            /// Absent until the automation ran on this replica.
            let automation: AutomationRun?
        }
        return Body(
            site: store.site.rawValue,
            name: try await store.siteName(),
            vector: try await store.vector(),
            digest: try await store.digest(),
            changes: try await store.changeCount(),
            tickets: try await store.ticketCount(),
            automation: try await store.lastAutomationRun()
        )
    }

    /// The `limit` query parameter: 1–1000, `default` when absent.
    static func limit(_ request: Request, default value: Int = 500) throws -> Int {
        try limit(Fields.query(request)["limit"], default: value)
    }

    /// `limit` of a query's `limit` value as given (nil: absent).
    static func limit(_ given: String?, default value: Int = 500) throws -> Int {
        guard let raw = given else { return value }
        guard let limit = Int(raw), (1...1000).contains(limit) else {
            throw APIError.badRequest("invalid limit '\(raw)': must be an integer from 1 to 1000")
        }
        return limit
    }
}

/// Runs `body`, turning any error into an `APIError` response.
func guarded(_ body: () async throws -> Response) async throws -> Response {
    do {
        return try await body()
    } catch {
        throw APIError.from(error)
    }
}
