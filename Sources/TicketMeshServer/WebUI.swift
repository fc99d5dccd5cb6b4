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
        let table = Strings.table(lang)
        var context = values
        context["t"] = table
        context["lang"] = lang
        let content = library.render(context, withTemplate: template) ?? ""
        var layout: [String: Any] = ["t": table, "lang": lang, "title": table[title] ?? title, "content": content]
        if let user { layout["user"] = ["name": user.name, "role": user.role.rawValue] }
        if let flash = flash ?? request.uri.queryParameters["error"].map(String.init) { layout["flash"] = flash }
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        if let query = request.uri.queryParameters["lang"], Strings.languages.contains(String(query)) {
            headers[.setCookie] = Cookie(name: "tm_lang", value: String(query), path: "/", sameSite: .lax).description
        }
        return Response(
            status: status,
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: library.render(layout, withTemplate: "layout") ?? ""))
        )
    }

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
            if let token = request.cookies[Backend.sessionCookie]?.value { await backend.sessions.revoke(token) }
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
