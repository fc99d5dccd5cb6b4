import Logging
import ServiceLifecycle
import TicketMeshStore

/// Runs the replica's automation (breach escalation, care sweep, auto-close) every `interval`, as a
/// `Service` in `serve`'s and `web`'s service group (Docs/workflow.md, "Automation").
///
/// The first run starts at once. A run that fails is logged and retried at the next interval; the
/// service only ends on graceful shutdown or cancellation.
package struct Automation: Service {
    package let store: ReplicaStore
    package let interval: Duration
    package let logger: Logger

    /// - Parameter interval: time between the start of one run and the next; must be positive.
    package init(store: ReplicaStore, interval: Duration, logger: Logger) {
        precondition(interval > .zero, "automation interval must be positive")
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        let milliseconds = interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = store.configuration.now()
            let run = await store.runAutomation(now: now, nextAt: now + milliseconds)
            let metadata: Logger.Metadata = [
                "automation.escalations": "\(run.escalations)", "automation.careTasks": "\(run.careTasks)",
                "automation.closed": "\(run.closed.count)",
            ]
            if run.errors.isEmpty {
                logger.debug("Automation ran", metadata: metadata)
            } else {
                logger.error(
                    "Automation run failed; retrying next interval",
                    metadata: metadata.merging(["automation.errors": "\(run.errors)"]) { $1 }
                )
            }
            // Graceful shutdown (or cancellation) ends the wait, and with it the loop.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
