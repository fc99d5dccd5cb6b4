import Logging
import ServiceLifecycle
import UnixSignals

/// Runs `serve`'s services in one `ServiceGroup` until SIGINT or SIGTERM, then shuts them down gracefully.
package enum SyncServices {
    /// Runs `services` (sync listener, peer scheduler, and whatever else `serve` adds, e.g. HTTP).
    ///
    /// Returns after a signal once every service has stopped; throws if one fails.
    package static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
