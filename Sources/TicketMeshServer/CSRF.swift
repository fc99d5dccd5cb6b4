import Foundation
import Hummingbird

/// Cross-site request forgery tokens (Docs/web.md, "Logins").
///
/// A request authenticated by the session cookie that may change something (any method but GET,
/// HEAD, OPTIONS, TRACE) must carry its session's token: the form field `csrf` (the UI's forms
/// have it hidden) or the header `X-CSRF-Token` (for a page's scripts; the layout has it in
/// `<meta name="csrf-token">`). A page of another origin can make the browser send the cookie but
/// cannot read the token. Bearer-token clients need none: no browser adds their header by itself.
/// The login form, before any session, uses a double-submit token: a random value in the
/// `tm_login` cookie and the same value in its hidden field.
enum CSRF {
    /// The form field of the token.
    static let field = "csrf"
    /// The request header of the token.
    static let header = HTTPFields.Element.Name("X-CSRF-Token")!
    /// The cookie of the login form's token.
    static let loginCookie = "tm_login"

    /// The CSRF token of the session the current page request runs for; `WebUI.route` sets it, the
    /// layout and the templates write it into their forms.
    @TaskLocal static var current: String?

    /// Whether `method` only reads (RFC 9110 §9.2.1 safe methods).
    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        [.get, .head, .options, .trace].contains(method)
    }

    /// Whether `given` equals `expected`, in time that does not depend on where they differ.
    static func matches(_ given: String?, _ expected: String) -> Bool {
        guard let given, !expected.isEmpty else { return false }
        let a = Array(given.utf8), b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// The refusal of a write without its token: 403, code `csrf-token`; nothing was changed.
    static func refusal() -> APIError {
        APIError(
            status: .forbidden,
            code: "csrf-token",
            message:
                "forbidden: this request came with the session cookie but without this session's CSRF token (form field '\(field)' or header 'X-CSRF-Token'), as a page of another site would send it; nothing was changed: reload the page and try again"
        )
    }

    /// The refusal of a login form post without the login token of its `tm_login` cookie.
    static func loginRefusal() -> APIError {
        APIError(
            status: .forbidden,
            code: "csrf-token",
            message:
                "forbidden: this login form did not come from this site's login page (its hidden field '\(field)' does not match the '\(loginCookie)' cookie); nobody was logged in: reload the login page and try again"
        )
    }

    /// The login form's token: the request's `tm_login` cookie when it holds one, else a new one.
    static func loginToken(_ request: Request) -> String {
        if let value = request.cookies[loginCookie]?.value, value.utf8.count == 64,
            value.utf8.allSatisfy({
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            })
        {
            return value
        }
        return Sessions.randomToken()
    }
}
