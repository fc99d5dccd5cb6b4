import Foundation
import Hummingbird
import TicketMeshDomain
import TicketMeshStore

/// An API refusal: a status, a stable code and a message naming the field and the rule.
///
/// Rendered as `{"error": {"status": 400, "code": "invalid-value", "message": "…"}}`.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    /// Seconds for `Retry-After` (429).
    var retryAfter: Int? = nil

    static func unauthorized(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: "unauthorized", message: message)
    }
    static func badRequest(_ message: String) -> APIError {
        APIError(status: .badRequest, code: "invalid-value", message: message)
    }
    /// 429 `too-many-attempts`: names what is throttled, the rule, and when to try again.
    static func tooManyAttempts(_ refusal: LoginThrottle.Refusal, limits: LoginThrottle.Limits) -> APIError {
        let minutes = Int(limits.window / 60)
        return APIError(
            status: .tooManyRequests,
            code: "too-many-attempts",
            message:
                "too many failed logins for \(refusal.subject): \(refusal.failures) within \(minutes) minutes; try again in \(refusal.retryAfter) seconds",
            retryAfter: refusal.retryAfter
        )
    }
    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not-found", message: message)
    }

    /// The HTTP form of any error a handler throws; unknown errors become 500 without details.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as DomainError:
            switch error.code {
            case .invalidValue: return APIError(status: .badRequest, code: "invalid-value", message: error.message)
            case .notFound: return APIError(status: .notFound, code: "not-found", message: error.message)
            case .illegalTransition:
                return APIError(status: .conflict, code: "illegal-transition", message: error.message)
            case .conflict: return APIError(status: .conflict, code: "conflict", message: error.message)
            case .forbidden: return APIError(status: .forbidden, code: "forbidden", message: error.message)
            }
        case let error as PasswordError: return .badRequest(error.message)
        case let error as StaleTicketError: return APIError(status: .conflict, code: "stale-version", message: error.description)
        default:
            return APIError(
                status: .internalServerError,
                code: "internal",
                message: "internal error: see the server log"
            )
        }
    }

    private struct Envelope: Encodable {
        struct Body: Encodable {
            let status: Int
            let code: String
            let message: String
        }
        let error: Body
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder().encode(Envelope(error: .init(status: status.code, code: code, message: message)))
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"ticketmesh\"" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
