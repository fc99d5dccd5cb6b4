import Foundation
import Hummingbird
import Mustache
import TicketMeshDomain
import TicketMeshStore

/// The agents' web UI: server-rendered mustache pages with plain forms, zh-CN by default.
///
/// Pages share the API's login (the token travels in an HttpOnly, SameSite=Strict cookie, so a
/// cross-site form cannot post with it). Form errors come back as the page with a message.
struct WebUI: Sendable {
    let backend: Backend
    let library: MustacheLibrary

    init(backend: Backend) {
        self.backend = backend
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in Templates.all {
            do {
                templates[name] = try MustacheTemplate(string: text)
            } catch {
                preconditionFailure("template \(name) does not parse: \(error)")
            }
        }
        self.library = MustacheLibrary(templates: templates)
    }

    /// The page language: `?lang=` (also remembered in a cookie), else the cookie, else zh-CN.
    static func language(_ request: Request) -> String {
        if let query = request.uri.queryParameters["lang"], Strings.languages.contains(String(query)) {
            return String(query)
        }
        if let cookie = request.cookies["tm_lang"]?.value, Strings.languages.contains(cookie) { return cookie }
        return "zh-CN"
    }

    /// Renders `template` inside the layout as an HTML response.
    func page(
        _ template: String,
        title: String,
        _ values: [String: Any],
        request: Request,
        user: User?,
        status: HTTPResponse.Status = .ok,
        flash: String? = nil
    ) -> Response {
        let lang = Self.language(request)
        var context = values
        context["t"] = Strings.table(lang)
        context["lang"] = lang
        let content = library.render(context, withTemplate: template) ?? ""
        return Self.page(title: title, request: request, user: user, status: status, flash: flash) { html, _ in html.raw(content) }
    }

    /// An HTML response: the layout (header, navigation, language switch, flash message) around
    /// what `content` writes with the page's strings.
    static func page(
        title: String,
        request: Request,
        user: User?,
        status: HTTPResponse.Status = .ok,
        flash: String? = nil,
        content: (inout HTML, _ strings: [String: String]) -> Void
    ) -> Response {
        let lang = language(request)
        let t = Strings.table(lang)
        var html = HTML(capacity: 32 * 1024)
        html.raw("<!doctype html>\n<html lang=\"")
        html.text(lang)
        html.raw("\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
        html.text(t[title] ?? title)
        html.raw(" · ")
        html.text(t["app"] ?? "")
        html.raw("</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\n<body><header><a class=\"brand\" href=\"/queue\">")
        html.text(t["app"] ?? "")
        html.raw("</a>\n")
        if let user {
            html.raw("<nav>")
            for (id, href, key) in navigation {
                html.raw("<a id=\"\(id)\" href=\"\(href)\">")
                html.text(t[key] ?? key)
                html.raw("</a>")
            }
            html.raw("</nav>\n<span class=\"who\" id=\"who\">")
            html.text(user.name)
            html.raw(" (")
            html.text(user.role.rawValue)
            html.raw(")</span>\n<form method=\"post\" action=\"/logout\" class=\"inline\"><button id=\"logout\">")
            html.text(t["logout"] ?? "")
            html.raw("</button></form>")
        }
        html.raw("\n<a class=\"lang\" id=\"lang\" href=\"?lang=")
        html.text(t["otherLang"] ?? "")
        html.raw("\">")
        html.text(t["language"] ?? "")
        html.raw("</a></header>\n<main>")
        if let flash = flash ?? request.uri.queryParameters["error"].map(String.init) {
            html.raw("<p class=\"flash\" id=\"flash\" role=\"alert\">")
            html.text(flash)
            html.raw("</p>")
        }
        content(&html, t)
        html.raw("</main>\n<script src=\"/static/app.js\"></script></body></html>")
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        if let query = request.uri.queryParameters["lang"], Strings.languages.contains(String(query)) {
            headers[.setCookie] = Cookie(name: "tm_lang", value: String(query), path: "/", sameSite: .lax).description
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: html.bytes)))
    }

    /// The header's links for a logged-in user: element id, target, string key.
    static let navigation = [
        ("nav-queue", "/queue", "queue"), ("nav-new", "/tickets/new", "newTicket"), ("nav-customers", "/customers", "customers"),
        ("nav-kb", "/kb", "kb"), ("nav-reports", "/reports", "reports"), ("nav-site", "/site", "site"),
    ]

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Adds a page that needs a login: without one it redirects to `/login`; errors render as a page.
    func route(
        _ router: Router<BasicRequestContext>,
        _ method: HTTPRequest.Method,
        _ path: RouterPath,
        _ handler: @escaping @Sendable (Request, BasicRequestContext, User) async throws -> Response
    ) {
        router.on(path, method: method) { request, context in
            let user: User
            do {
                user = try await backend.authenticate(request)
            } catch {
                return Self.redirect("/login")
            }
            do {
                return try await handler(request, context, user)
            } catch {
                let failure = APIError.from(error)
                return page(
                    "error",
                    title: "\(failure.status.code)",
                    ["status": "\(failure.status.code) \(failure.status.reasonPhrase)", "message": failure.message],
                    request: request,
                    user: user,
                    status: failure.status
                )
            }
        }
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("static/app.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: Assets.css))
            )
        }
        router.get("static/app.js") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/javascript; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: Assets.js))
            )
        }
        router.get("/") { request, _ in
            (try? await backend.authenticate(request)) == nil ? Self.redirect("/login") : Self.redirect("/queue")
        }
        router.get("login") { request, _ in page("login", title: "login", [:], request: request, user: nil) }
        router.post("login") { request, _ in
            do {
                let fields = try await Fields.read(request)
                let session = try await backend.login(
                    user: try fields.text("user", required: true)!,
                    password: try fields.text("password", required: true)!
                )
                var response = Self.redirect("/queue")
                response.headers[.setCookie] =
                    Cookie(
                        name: Backend.sessionCookie,
                        value: session.token,
                        path: "/",
                        httpOnly: true,
                        sameSite: .strict
                    ).description
                return response
            } catch {
                let failure = APIError.from(error)
                return page(
                    "login",
                    title: "login",
                    [:],
                    request: request,
                    user: nil,
                    status: failure.status,
                    flash: failure.message
                )
            }
        }
        router.post("logout") { request, _ in
            if let token = request.cookies[Backend.sessionCookie]?.value { backend.sessions.revoke(token) }
            var response = Self.redirect("/login")
            response.headers[.setCookie] =
                Cookie(name: Backend.sessionCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict)
                .description
            return response
        }
        registerTicketPages(on: router)
        registerOtherPages(on: router)
    }
}
