import ArgumentParser
import Foundation
import TicketMeshHub
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// `ticketmesh site enroll --tls DIR`: gives an existing replica its identity.
struct SiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "This site's identity: the key that signs its changes.", subcommands: [SiteEnroll.self])
}

struct SiteEnroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Give this replica its site key and certificate (from 'certs site'), so it signs every change.",
        discussion: """
            Copies site.pem, site.key (mode 0600), ca.pem and revoked.json into DATA/identity and signs this site's
            history written before (a signature moves nothing in the chain). From then on the replica accepts only
            blocks signed by sites of the same organisation CA.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "The site's TLS directory made by 'ticketmesh certs site'.") var tls: String

    func run() async throws {
        try await runSyncReporting {
            let store = try ReplicaStore.open(directory: options.dataDirectory)
            let signed = try await Self.enroll(data: options.dataDirectory, tls: URL(fileURLWithPath: tls), site: store.site)
            if options.json {
                try Output.json(["site": store.site.rawValue, "signedBlocks": String(signed)])
            } else {
                print("Enrolled site \(store.site): identity in \(SiteIdentity.directory(inData: options.dataDirectory).path), \(signed) earlier blocks signed")
            }
        }
    }

    /// Enrols the replica in `data` with the identity in `tls`; returns how many earlier blocks it signed.
    ///
    /// Signs first, then installs: a process killed in between leaves signed blocks and no identity,
    /// and the next enrolment finishes the job. The other order could leave an identity over unsigned
    /// blocks, which no peer of the organisation accepts.
    @discardableResult
    static func enroll(data: URL, tls: URL, site: SiteCode) async throws -> Int {
        let given = try SiteIdentity.load(directory: tls)
        guard given.site == site else {
            throw SyncError.configuration(field: "--tls", value: tls.path, rule: "must hold the certificate of site \(site) (it holds \(given.site)'s)")
        }
        let store = try ReplicaStore.open(directory: data, configuration: .init(provenance: try given.provenance()))
        let signed = try await store.signOwnHistory()
        _ = try SiteIdentity.install(from: tls, intoData: data, site: site)
        return signed
    }
}

/// `ticketmesh clock restamp`: re-stamps work written while this site's clock ran fast.
struct ClockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clock", abstract: "This site's clock and the work stamped by it.", subcommands: [ClockRestamp.self])
}

struct ClockRestamp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restamp",
        abstract: "After fixing a fast clock: write again, with the right time, this site's changes stamped in the future.",
        discussion: """
            Peers refuse blocks stamped more than the skew bound ahead of their clock. Once this machine's clock is right,
            this takes this site's blocks stamped beyond now + the bound off its chain and writes the same edits again
            (same values, users and bases; new seqs and times), so the next sync or file exchange is accepted.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "The skew bound in seconds (as 'sync --max-skew').") var maxSkew = 300

    func run() async throws {
        try await runReporting {
            let moved = try await options.openStore(maxSkew: Int64(maxSkew) * 1000).restamp()
            if options.json {
                try Output.json(["restamped": moved])
            } else {
                print(moved == 0 ? "No changes are stamped ahead of this site's clock" : "Re-stamped \(moved) changes written while the clock ran fast")
            }
        }
    }
}

/// `ticketmesh backup --out DIR`: a consistent copy of the data directory, safe while serving.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the replica and its identity into an empty directory (safe while serving).",
        discussion: """
            Restore by using the copy as the data directory. A restored site recovers by itself at its next sync or
            file exchange: it takes back the history the organisation holds of it and re-issues what it wrote since
            the backup on top (Docs/replication.md, "Restores").
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "Directory for the copy (must not hold a replica).") var out: String

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            let target = URL(fileURLWithPath: out)
            try await store.backup(to: target)
            let identity = SiteIdentity.directory(inData: options.dataDirectory)
            if FileManager.default.fileExists(atPath: identity.path) {
                try FileManager.default.copyItem(at: identity, to: SiteIdentity.directory(inData: target))
            }
            if options.json {
                try Output.json(["site": store.site.rawValue, "out": target.path])
            } else {
                print("Backed up site \(store.site) to \(target.path)")
            }
        }
    }
}

/// `ticketmesh snapshot --out FILE`: a copy of the replica a new site starts from (`init --snapshot`);
/// with `--postgres URL --tls DIR`, a copy of the hub log merged into a working replica.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Write a snapshot of the replica (the log, its blocks and the derived tables) for a new site to start from.",
        discussion: """
            Safe while serving. The new site runs 'ticketmesh init --site CODE --tls DIR --snapshot FILE': it verifies
            every chain and signature and checks the derived tables against the log, then continues by delta sync from
            the snapshot's version. The snapshot holds no identity (no private key): it is the organisation's data,
            as any replica is (Docs/replication.md, "Snapshot bootstrap"). With --postgres and --tls it is taken at a
            hub: the hub log merged by the sites' own code into a working replica (Docs/scale-out.md).
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "File to write (must not exist).") var out: String
    @OptionGroup var hub: HubOptions
    @Option(help: "With --postgres: an identity of the organisation ('certs site') to verify the hub log's blocks.")
    var tls: String?

    func run() async throws {
        try await runHubReporting {
            let opened = try await hub.openForReading(tls: tls)
            defer { opened?.close() }
            let store = try opened?.replica.store ?? options.openStore()
            let target = URL(fileURLWithPath: out)
            let heads = try await store.writeSnapshot(to: target)
            if options.json {
                try Output.json(["site": store.site.rawValue, "out": target.path, "version": heads.description])
            } else {
                print("Wrote a snapshot of \(opened == nil ? "site" : "hub") \(store.site) at \(heads) to \(target.path)")
            }
        }
    }
}
