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
            guard fields.hadBody else { throw APIError.badRequest("missing body: a JSON object of the settings to change") }
            // As Docs/openapi.yaml states: absent, null or blank leaves a field as it is; `senders: []` stops sending.
            var senders: [String]?
            switch fields.values["senders"] {
            case nil, .null?: senders = nil
            case .array(let items)?:
                guard items.count <= 20 else { throw APIError.badRequest("invalid senders: must list at most 20 sites") }
                senders = try items.map { item in
                    guard case .string(let raw) = item else { throw APIError.badRequest("invalid senders: must be an array of site codes") }
                    let code = Fields.droppingFinalNewline(raw)
                    guard (2...8).contains(code.unicodeScalars.count), code.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) else {
                        throw APIError.badRequest("invalid senders '\(raw)': each must be a site code of 2–8 letters A–Z and digits")
                    }
                    return code
                }
            case let value?: throw APIError.badRequest("invalid senders: must be an array of site codes, got \(value.typeName)")
            }
            let type = try fields.text("type", limit: 200)
            if let type { _ = try await Self.requestType(type, store: store) }
            let settings = try await store.setMailSettings(
                senders: senders.map { $0.isEmpty ? [""] : $0 }, from: try fields.text("from", limit: 254).map(Fields.droppingFinalNewline),
                fromName: try fields.text("fromName", limit: 100).map(Fields.droppingFinalNewline), type: type,
                templates: try fields.stringMap("templates"), actor: user.name)
            return try JSON.response(settings)
        }
        route(api, .get, "mail/outbox") { _, _, user in
            _ = try await backend.disclosure(.viewTickets, for: user)
            return try JSON.response(try await store.outbox())
        }
    }
}
