import Hummingbird

/// Adds the security headers to every response, errors included (Docs/web.md, "Logins").
///
/// The pages load their one stylesheet and one script from `/static/` and have no inline script,
/// style or event attribute, so the policy allows only this origin: an injected `<script>` or
/// `style=` does not run, no other site may frame a page (clickjacking), and forms post only here.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// Whether the server speaks HTTPS: then browsers are told to keep to it (HSTS).
    let https: Bool

    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// HSTS: one year. Only sent over HTTPS (RFC 6797 §7.2); no `includeSubDomains`, as the site's
    /// certificate names one site, not a domain.
    static let strictTransportSecurity = "max-age=31536000"

    static let xFrameOptions = HTTPFields.Element.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPFields.Element.Name("Referrer-Policy")!
    static let crossOriginOpenerPolicy = HTTPFields.Element.Name("Cross-Origin-Opener-Policy")!

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            response = try APIError.from(error).response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[Self.xFrameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.referrerPolicy] = "same-origin"
        response.headers[Self.crossOriginOpenerPolicy] = "same-origin"
        if https { response.headers[.strictTransportSecurity] = Self.strictTransportSecurity }
        return response
    }
}
