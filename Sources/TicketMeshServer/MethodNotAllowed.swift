import Hummingbird

/// Answers 405 with `Allow` for a method Docs/openapi.yaml does not declare on a path it declares
/// (RFC 9110 §15.5.6); every other unmatched request stays 404.
///
/// The paths and methods are read from the served document itself, so the two cannot drift.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// A declared path: its segments (`nil` for a `{parameter}`) and its methods.
    struct DeclaredPath: Sendable, Equatable {
        var segments: [String?]
        var methods: [HTTPRequest.Method]

        func matches(_ path: Substring) -> Bool {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard parts.count == segments.count else { return false }
            return zip(parts, segments).allSatisfy { part, segment in segment.map { $0 == part } ?? !part.isEmpty }
        }
    }

    /// The `paths` of an OpenAPI YAML document: two-space-indented `/path:` keys, four-space-indented methods.
    static func declaredPaths(in yaml: String) -> [DeclaredPath] {
        let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var result: [DeclaredPath] = []
        var inPaths = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: true) {
            if !line.hasPrefix(" ") {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                let path = line.dropFirst(2).dropLast()
                let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                    $0.hasPrefix("{") ? nil : String($0)
                }
                result.append(DeclaredPath(segments: segments, methods: []))
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let colon = line.firstIndex(of: ":"),
                case let name = line[line.index(line.startIndex, offsetBy: 4)..<colon], methods.contains(String(name)),
                let method = HTTPRequest.Method(name.uppercased()), !result.isEmpty
            {
                result[result.count - 1].methods.append(method)
            }
        }
        return result
    }

    static let declared = declaredPaths(in: OpenAPIDocument.yaml)

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = Substring(request.uri.path)
            guard let declared = Self.declared.first(where: { $0.matches(path) }), !declared.methods.isEmpty,
                !declared.methods.contains(request.method)
            else { throw error }
            let allow = declared.methods.map(\.rawValue).joined(separator: ", ")
            var response = try APIError(
                status: .methodNotAllowed, code: "method-not-allowed",
                message: "method \(request.method.rawValue) is not allowed on \(path): use \(allow)"
            ).response(from: request, context: context)
            response.headers[.allow] = allow
            return response
        }
    }
}
