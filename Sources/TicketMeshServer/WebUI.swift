import Foundation
import Hummingbird
import Logging
import Mustache
import TicketMeshDomain
import TicketMeshStore

/// The agents' web UI: server-rendered mustache pages with plain forms, zh-CN by default.
///
/// Pages share the API's login (the token travels in an HttpOnly, SameSite=Strict cookie); every
/// post form carries the session's CSRF token (`CSRF`), checked by `route` before the handler
/// runs. Form errors come back as the page with a message.
struct WebUI: Sendable {
    let backend: Backend
    let library: MustacheLibrary
    /// The site's time zone (`WebUI.zone`), set for every page's request.
    let zone: ZoneOffsets
    /// The queue page's repeated pieces.
    let renderCache = QueueRenderCache()

    init(backend: Backend) {
        self.backend = backend
        self.zone = ZoneOffsets(backend.store.configuration.timeZone)
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
        // Each source is parsed only if it names a language at all: a page asks on every load.
        if request.uri.query?.contains("lang=") == true, let query = request.uri.queryParameters["lang"],
            Strings.languages.contains(String(query))
        {
            return String(query)
        }
        if request.headers[.cookie]?.contains("tm_lang=") == true, let cookie = request.cookies["tm_lang"]?.value,
            Strings.languages.contains(cookie)
        {
            return cookie
        }
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
        if context["csrf"] == nil { context["csrf"] = CSRF.current ?? "" }
        let content = library.render(context, withTemplate: template) ?? ""
        return Self.page(title: title, request: request, user: user, status: status, flash: flash) { html, _ in
            html.raw(content)
        }
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
        // The queue page is about 34 KB: one allocation for it.
        var html = HTML(capacity: 40 * 1024)
        html.raw("<!doctype html>\n<html lang=\"")
        html.text(lang)
        html.raw(
            "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
        )
        html.text(t[title] ?? title)
        html.raw(" · ")
        html.text(t["app"] ?? "")
        html.raw("</title><link rel=\"stylesheet\" href=\"/static/app.css\"><link rel=\"stylesheet\" href=\"/static/live.css\">")
        if let csrf = CSRF.current {
            html.raw("<meta name=\"csrf-token\" content=\"")
            html.text(csrf)
            html.raw("\">")
        }
        html.raw("</head>\n<body><header><a class=\"brand\" href=\"/queue\">")
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
            html.text(Strings.label(.role, user.role.rawValue, language: lang))
            html.raw(")</span>\n<form method=\"post\" action=\"/logout\" class=\"inline\">")
            csrfField(&html)
            html.raw("<button id=\"logout\">")
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
            html.text(Strings.refusal(flash, language: lang))
            html.raw("</p>")
        }
        content(&html, t)
        html.raw("</main>\n<script src=\"/static/app.js\"></script><script src=\"/static/live.js\"></script></body></html>")
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        if let query = request.uri.queryParameters["lang"], Strings.languages.contains(String(query)) {
            headers[.setCookie] = Cookie(name: "tm_lang", value: String(query), path: "/", sameSite: .lax).description
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: html.buffer))
    }

    /// The hidden CSRF field of a form, with the current session's token (`CSRF`).
    static func csrfField(_ html: inout HTML) {
        html.raw("<input type=\"hidden\" name=\"\(CSRF.field)\" value=\"")
        html.text(CSRF.current ?? "")
        html.raw("\">")
    }

    /// The header's links for a logged-in user: element id, target, string key.
    static let navigation = [
        ("nav-queue", "/queue", "queue"), ("nav-new", "/tickets/new", "newTicket"),
        ("nav-customers", "/customers", "customers"),
        ("nav-kb", "/kb", "kb"), ("nav-reports", "/reports", "reports"), ("nav-site", "/site", "site"),
        ("nav-admin", "/admin", "admin"),
    ]

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Adds a page that needs a login: without one it redirects to `/login`; errors render as a page.
    ///
    /// `atOneVersion` (a read-only page answered at once, not a stream): the login and the page read
    /// the replica at one version (`ReplicaStore.atOneVersion`), one version probe per load.
    func route(
        _ router: Router<BasicRequestContext>,
        _ method: HTTPRequest.Method,
        _ path: RouterPath,
        atOneVersion: Bool = false,
        _ handler: @escaping @Sendable (Request, BasicRequestContext, User) async throws -> Response
    ) {
        @Sendable func respond(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
            let login: Backend.Login
            do {
                login = try await backend.login(of: request)
            } catch {
                return Self.redirect("/login")
            }
            let user = login.user
            var request = request
            if login.byCookie, !CSRF.isSafe(request.method) {
                // The body is read here once and kept, so the handler reads it again.
                _ = try? await request.collectBody(upTo: 4 << 20)
                guard CSRF.matches(await Self.csrfToken(of: request), login.session.csrf) else {
                    backend.logger.notice(
                        "Form refused without CSRF token",
                        metadata: ["user": "\(user.name)", "path": "\(request.uri.path)"]
                    )
                    return CSRF.$current.withValue(login.session.csrf) {
                        failurePage(CSRF.refusal(), request: request, user: user)
                    }
                }
            }
            return await WebUI.$zone.withValue(zone) {
                await CSRF.$current.withValue(login.session.csrf) { [request] in
                    do {
                        return try await handler(request, context, user)
                    } catch {
                        return failurePage(APIError.from(error), request: request, user: user)
                    }
                }
            }
        }
        router.on(path, method: method) { request, context in
            guard atOneVersion, CSRF.isSafe(request.method) else { return try await respond(request, context) }
            return try await backend.store.atOneVersion { try await respond(request, context) }
        }
    }

    /// The CSRF token a write carries: the `X-CSRF-Token` header, else the form field `csrf` (the
    /// body must have been collected, so the handler can read it again).
    static func csrfToken(of request: Request) async -> String? {
        if let header = request.headers[CSRF.header] { return header }
        return try? await Fields.read(request).text(CSRF.field)
    }

    /// The error page for `failure`.
    func failurePage(_ failure: APIError, request: Request, user: User?) -> Response {
        page(
            "error",
            title: "\(failure.status.code)",
            [
                "status": "\(failure.status.code) \(failure.status.reasonPhrase)",
                "message": Strings.refusal(failure.message, language: Self.language(request)),
            ],
            request: request,
            user: user,
            status: failure.status
        )
    }

    /// The session cookie: HttpOnly, SameSite=Strict, and Secure over HTTPS.
    func sessionCookie(_ value: String, maxAge: Int? = nil) -> String {
        Cookie(
            name: Backend.sessionCookie,
            value: value,
            maxAge: maxAge,
            path: "/",
            secure: backend.https,
            httpOnly: true,
            sameSite: .strict
        ).description
    }

    /// The login page with its double-submit token (`CSRF.loginToken`) in the form and the `tm_login` cookie.
    func loginPage(
        _ request: Request,
        status: HTTPResponse.Status = .ok,
        flash: String? = nil,
        retryAfter: Int? = nil
    ) -> Response {
        let token = CSRF.loginToken(request)
        var response = page(
            "login",
            title: "login",
            ["csrf": token],
            request: request,
            user: nil,
            status: status,
            flash: flash
        )
        response.headers.append(
            HTTPFields.Element(
                name: .setCookie,
                value: Cookie(
                    name: CSRF.loginCookie,
                    value: token,
                    path: "/",
                    secure: backend.https,
                    httpOnly: true,
                    sameSite: .strict
                ).description
            )
        )
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    /// Serves a static asset compiled into the binary (`Assets`), as UTF-8 of the given media type.
    static func serveAsset(_ text: String, at path: String, type: String, on router: Router<BasicRequestContext>) {
        router.get(RouterPath(path)) { _, _ in
            Response(status: .ok, headers: [.contentType: "\(type); charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    func register(on router: Router<BasicRequestContext>) {
        Self.serveAsset(Assets.css, at: "static/app.css", type: "text/css", on: router)
        Self.serveAsset(Assets.js, at: "static/app.js", type: "text/javascript", on: router)
        router.get("/") { request, _ in
            (try? await backend.authenticate(request)) == nil ? Self.redirect("/login") : Self.redirect("/queue")
        }
        router.get("login") { request, _ in loginPage(request) }
        router.post("login") { request, _ in
            do {
                let fields = try await Fields.read(request)
                guard let cookie = request.cookies[CSRF.loginCookie]?.value,
                    CSRF.matches(try fields.text(CSRF.field), cookie)
                else {
                    backend.logger.notice("Login form refused without CSRF token")
                    throw CSRF.loginRefusal()
                }
                let session = try await backend.login(
                    user: try fields.text("user", required: true)!,
                    password: try fields.text("password", required: true)!,
                    address: ClientAddress.current
                )
                var response = Self.redirect("/queue")
                response.headers[.setCookie] = sessionCookie(session.token)
                return response
            } catch {
                let failure = APIError.from(error)
                return loginPage(
                    request,
                    status: failure.status,
                    flash: failure.message,
                    retryAfter: failure.retryAfter
                )
            }
        }
        router.post("logout") { request, _ in
            var request = request
            if let token = request.cookies[Backend.sessionCookie]?.value,
                let session = backend.sessions.session(for: token)
            {
                _ = try? await request.collectBody(upTo: 1 << 16)
                guard CSRF.matches(await Self.csrfToken(of: request), session.csrf) else {
                    return failurePage(CSRF.refusal(), request: request, user: nil)
                }
                backend.sessions.revoke(token)
            }
            var response = Self.redirect("/login")
            response.headers[.setCookie] = sessionCookie("", maxAge: 0)
            return response
        }
        registerLivePages(on: router)
        registerAdminPages(on: router)
        registerSLAPages(on: router)
        registerQueuePages(on: router)
        registerTicketPages(on: router)
        registerOtherPages(on: router)
    }
}
