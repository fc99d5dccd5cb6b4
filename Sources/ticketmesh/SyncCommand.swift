import ArgumentParser
import Foundation
import Logging
import Synchronization
import TicketMeshDomain
import TicketMeshStore
import TicketMeshSync

/// `ticketmesh sync --peer HOST:PORT --tls DIR`: one bidirectional session with a peer.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync once with a peer over mutual TLS: both sides end holding the same changes.",
        discussion:
            "Progress goes to stderr; a summary (sent, received, bytes, seconds) to stdout. Exit 9: refused or protocol error; 10: connection lost (rerun to resume)."
    )

    @OptionGroup var options: GlobalOptions
    @OptionGroup var sync: SyncOptions
    @Option(help: "The peer's sync address, HOST:PORT.") var peer: String

    func run() async throws {
        try await runSyncReporting {
            let (host, port) = try SyncClient.parseAddress(peer, field: "--peer")
            let configuration = try await sync.sessionConfiguration(data: options.dataDirectory)
            let store = try options.openStore(maxSkew: configuration.maxClockSkew)
            let logger = sync.logger()
            let progress = ProgressPrinter(quiet: options.json)
            let summary = try await {
                do {
                    return try await SyncClient.sync(
                        replica: store,
                        host: host,
                        port: port,
                        configuration: configuration,
                        logger: logger,
                        progress: { progress.report($0) }
                    )
                } catch {
                    await PeerBook(directory: options.dataDirectory).recordFailure(
                        address: peer,
                        site: nil,
                        error: "\(error)",
                        dialed: true
                    )
                    throw error
                }
            }()
            progress.finish()
            await PeerBook(directory: options.dataDirectory).recordSuccess(summary, dialed: peer)
            if options.json {
                try Output.json(summary)
            } else {
                print(
                    "synced with \(summary.peer) at \(summary.address): sent \(summary.sent) changes, received \(summary.received) changes, "
                        + "\(summary.bytesSent) bytes out, \(summary.bytesReceived) bytes in, \(String(format: "%.2f", summary.seconds)) s"
                )
            }
        }
    }
}

/// Flags shared by `sync` and `serve`.
struct SyncOptions: ParsableArguments {
    @Option(
        help:
            "TLS directory made by 'ticketmesh certs site' (site.pem, site.key, ca.pem, revoked.json); default: the data directory's identity. A replica with none is enrolled with it."
    ) var tls: String?
    @Option(help: "Largest accepted clock difference with a peer, in seconds.") var maxSkew = 300
    @Option(help: "Changes per batch (each batch is one transaction on the receiver).") var batchSize = 1000
    @Option(help: "Unacknowledged batches in flight per direction.") var window = 4
    @Option(help: "Seconds without data from a peer before a session is dropped (it resumes next time).")
    var idleTimeout = 60
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    /// The site's identity: the data directory's, or `--tls` (installed into the data directory on first use).
    func identity(data: URL) async throws -> SiteIdentity {
        let installed = SiteIdentity.directory(inData: data)
        let hasIdentity = FileManager.default.fileExists(atPath: installed.appendingPathComponent(SiteIdentity.certificateFile).path)
        guard let tls else {
            guard hasIdentity else {
                throw SyncError.configuration(
                    field: "--tls", value: data.path, rule: "is required: this replica has no identity yet (or run 'ticketmesh site enroll --tls DIR')")
            }
            return try SiteIdentity.load(directory: installed)
        }
        let given = try SiteIdentity.load(directory: URL(fileURLWithPath: tls))
        if !hasIdentity {
            let store = try ReplicaStore.open(directory: data)
            try await SiteEnroll.enroll(data: data, tls: given.directory, site: store.site)
        } else {
            let own = try SiteIdentity.load(directory: installed)
            guard own.site == given.site else {
                throw SyncError.configuration(
                    field: "--tls", value: tls, rule: "must be the identity of site \(own.site), which this replica holds")
            }
        }
        // TLS uses the directory given, so a revocation list copied there keeps working.
        return given
    }

    func sessionConfiguration(data: URL) async throws -> SyncSession.Configuration {
        guard maxSkew >= 1 else {
            throw SyncError(code: .invalidConfiguration, message: "invalid --max-skew '\(maxSkew)': must be ≥ 1 second")
        }
        guard (1...100_000).contains(batchSize) else {
            throw SyncError(
                code: .invalidConfiguration,
                message: "invalid --batch-size '\(batchSize)': must be 1–100000"
            )
        }
        guard (1...64).contains(window) else {
            throw SyncError(code: .invalidConfiguration, message: "invalid --window '\(window)': must be 1–64")
        }
        guard (1...86_400).contains(idleTimeout) else {
            throw SyncError(
                code: .invalidConfiguration,
                message: "invalid --idle-timeout '\(idleTimeout)': must be 1–86400 seconds"
            )
        }
        var configuration = SyncSession.Configuration(identity: try await identity(data: data))
        configuration.idleTimeout = .seconds(Int64(idleTimeout))
        configuration.maxClockSkew = Int64(maxSkew) * 1000
        configuration.batchChanges = batchSize
        configuration.window = window
        return configuration
    }

    /// A logger writing to stderr at `--log-level`.
    func logger() -> Logger {
        var logger = Logger(label: "ticketmesh.sync", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

/// Session progress on a terminal: one line redrawn at most every quarter second with what each
/// direction moved of what the two hellos said it would, the rate and the time left. Elsewhere (a
/// log, a pipe) nothing until the command's one summary line.
final class ProgressPrinter: Sendable {
    private let state = Mutex<(sent: SyncProgress?, received: SyncProgress?)>((nil, nil))
    private let meter: ProgressMeter?

    init(quiet: Bool) {
        meter = quiet || isatty(STDERR_FILENO) != 1 ? nil : ProgressMeter(stage: "sync", unit: "changes")
    }

    func report(_ progress: SyncProgress) {
        guard let meter else { return }
        let (done, total) = state.withLock { state in
            switch progress.direction {
            case .sent: state.sent = progress
            case .received: state.received = progress
            }
            let parts = [state.sent, state.received].compactMap { $0 }
            return (parts.reduce(0) { $0 + $1.changes }, parts.reduce(0) { $0 + max($1.expected, $1.changes) })
        }
        meter.update(done: done, total: total, note: "with \(progress.peer)")
    }

    /// Ends the redrawn line (the summary follows on stdout).
    func finish() { meter?.end() }
}

/// Runs a sync command body: `SyncError`s print on stderr and exit 2 (bad flag or file), 10 (connection lost) or 9.
func runSyncReporting(_ body: () async throws -> Void) async throws {
    try await runReporting {
        do {
            try await body()
        } catch let error as SyncError {
            Output.note("error: \(error.message)")
            switch error.code {
            case .invalidConfiguration: throw ExitCode(2)
            case .connectionLost, .timeout: throw ExitCode(10)
            default: throw ExitCode(9)
            }
        }
    }
}
