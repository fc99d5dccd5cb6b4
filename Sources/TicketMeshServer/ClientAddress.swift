import Hummingbird
import NIOCore

/// The address of the client a request came from, for the login throttle.
///
/// The routes take `BasicRequestContext`, which does not keep the connection's address; the
/// server's outer responder (`Responder`) reads it from the channel and runs the router with it
/// in this task-local value. It is the TCP peer: behind a reverse proxy every request has the
/// proxy's address (Docs/web.md says what that means for throttling).
enum ClientAddress {
    @TaskLocal static var current: String?

    /// The context the application makes per request: the router's context and the peer's address.
    struct Context: RequestContext {
        var coreContext: CoreRequestContextStorage
        let address: String?
        let inner: BasicRequestContext

        init(source: ApplicationRequestContextSource) {
            self.coreContext = .init(source: source)
            self.inner = BasicRequestContext(source: source)
            self.address = source.channel.remoteAddress.flatMap { $0.ipAddress ?? $0.pathname }
        }
    }

    /// Runs the router with `current` set to the request's peer address.
    struct Responder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
        let inner: Inner

        func respond(to request: Request, context: Context) async throws -> Response {
            try await ClientAddress.$current.withValue(context.address) {
                try await inner.respond(to: request, context: context.inner)
            }
        }
    }
}
