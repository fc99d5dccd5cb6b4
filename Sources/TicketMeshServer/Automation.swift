import Foundation
import Logging
import ServiceLifecycle
import TicketMeshMail
import TicketMeshStore

/// Runs the replica's automation (breach escalation, care sweep, auto-close) every `interval`, as a
/// `Service` in `serve`'s and `web`'s service group (Docs/workflow.md, "Automation"); then, with
/// `mail`, drains the mail outbox (Docs/email.md, "Outbound").
///
/// The first run starts at once. A run that fails is logged and retried at the next interval; the
/// service only ends on graceful shutdown or cancellation.
package struct Automation: Service {
    package let store: ReplicaStore
    package let interval: Duration
    package let logger: Logger
    package let mail: MailDrainConfiguration?

    /// Where the outbox drain hands mail, and the lock file that keeps one drain per data directory.
    package struct MailDrainConfiguration: Sendable {
        package var transport: any MailTransport
        package var lockFile: URL

        package init(transport: any MailTransport, lockFile: URL) {
            self.transport = transport
            self.lockFile = lockFile
        }
    }

    /// - Parameter interval: time between the start of one run and the next; must be positive.
    package init(store: ReplicaStore, interval: Duration, logger: Logger, mail: MailDrainConfiguration? = nil) {
        precondition(interval > .zero, "automation interval must be positive")
        self.store = store
        self.interval = interval
        self.logger = logger
        self.mail = mail
    }

    /// One outbox drain; failures are logged, never thrown (the next interval retries).
    func drainMail(_ mail: MailDrainConfiguration) async {
        do {
            let drain = try await store.drainOutbox(transport: mail.transport, lockFile: mail.lockFile)
            if !drain.failed.isEmpty {
                logger.warning("The MTA refused mail; retrying later", metadata: ["mail.refused": "\(drain.failed.count)", "mail.sent": "\(drain.sent.count)"])
            } else if !drain.sent.isEmpty {
                logger.debug("Sent mail", metadata: ["mail.sent": "\(drain.sent.count)"])
            }
        } catch {
            logger.error("Mail outbox drain failed; retrying next interval", metadata: ["mail.error": "\(error)"])
        }
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
            if let mail { await drainMail(mail) }
            // Graceful shutdown (or cancellation) ends the wait, and with it the loop.
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}
