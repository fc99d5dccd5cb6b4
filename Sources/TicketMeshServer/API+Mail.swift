import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

extension API {
    /// `/api/mail/settings` (read: any user; change: admins at an admin site) and `/api/mail/outbox` (Docs/email.md).
    func registerMail(on api: RouterGroup<BasicRequestContext>) {
        let store = backend.store
        let backend = self.backend
        route(api, .get, "mail/settings") { _, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            return try JSON.response(try await store.mailSettings())
        }
        route(api, .put, "mail/settings") { request, _, user in
            let fields = try await Fields.read(request)
            try fields.allowOnly(["senders", "from", "fromName", "type", "templates"])
            // A field that is absent stays as it is; "" clears senders, from and fromName.
            func optionalText(_ name: String, limit: Int) throws -> String? {
                switch fields.values[name] {
                case nil: return nil
                case .string(let text)?:
                    guard text.unicodeScalars.count <= limit else { throw APIError.badRequest("invalid \(name): must be at most \(limit) characters") }
                    return text
                case let value?: throw APIError.badRequest("invalid \(name): must be a string, got \(value.typeName)")
                }
            }
            let settings = try await store.setMailSettings(
                senders: try optionalText("senders", limit: 200).map { [$0] }, from: try optionalText("from", limit: 254),
                fromName: try optionalText("fromName", limit: 100), type: try fields.text("type", limit: 200),
                templates: try fields.stringMap("templates"), actor: user.name)
            return try JSON.response(settings)
        }
        route(api, .get, "mail/outbox") { _, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            return try JSON.response(try await store.outbox())
        }
    }
}
