import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshSync
import TicketMeshReplication
import TicketMeshStore

struct ChangesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes", abstract: "Move change sets as files (USB stick, e-mail).",
        subcommands: [ChangesExport.self, ChangesImport.self])
}

struct ChangesExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the changes a peer lacks to a file.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Output file.") var out: String
    @Option(name: .customLong("for-vector"), help: "The peer's vector as JSON ({\"SITE\": SEQ}), e.g. from its 'status --json'; default: everything.")
    var forVector: String?

    func run() async throws {
        try await runReporting {
            let store = try options.openStore()
            var vector = VersionVector()
            if let forVector {
                guard let data = FileManager.default.contents(atPath: forVector) else {
                    throw DomainError.invalidValue(field: "for-vector", value: forVector, rule: "must be a readable file")
                }
                vector = try Self.decodeVector(data, path: forVector)
            }
            let set = try await store.exportSet(after: try await store.heads(matching: vector))
            let bytes = set.encoded()
            guard FileManager.default.createFile(atPath: out, contents: Data(bytes)) else {
                throw DomainError.invalidValue(field: "out", value: out, rule: "must be a writable file path")
            }
            if options.json {
                try Output.json(["changes": set.changes.count, "blocks": set.blocks.count, "bytes": bytes.count])
            } else {
                print("Wrote \(set.changes.count) changes in \(set.blocks.count) blocks (\(bytes.count) bytes) to \(out)")
            }
        }
    }

    /// Accepts a bare vector or a whole `status --json` document with a `vector` key.
    static func decodeVector(_ data: Data, path: String) throws -> VersionVector {
        struct Status: Decodable { var vector: VersionVector }
        if let status = try? JSONDecoder().decode(Status.self, from: data) { return status.vector }
        do {
            return try JSONDecoder().decode(VersionVector.self, from: data)
        } catch let error as DomainError {
            throw error
        } catch {
            throw DomainError.invalidValue(field: "for-vector", value: path, rule: "must hold JSON like {\"HQ\": 12, \"SH\": 3}")
        }
    }
}

struct ChangesImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Apply a change-set file in one transaction.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Change-set file written by 'changes export', or a CA's revoked.json (its signed revocation records).")
    var file: String
    @Option(help: "Refuse blocks stamped more than this many seconds ahead of this site's clock.") var maxSkew = 300

    func run() async throws {
        try await runReporting {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw DomainError.invalidValue(field: "file", value: file, rule: "must be a readable file")
            }
            guard maxSkew >= 1 else {
                throw DomainError.invalidValue(field: "max-skew", value: String(maxSkew), rule: "must be ≥ 1 second")
            }
            if data.first == UInt8(ascii: "{") {
                try await importRevocations(data)
                return
            }
            let set = try ChangeSet(decoding: Array(data))
            let store = try options.openStore(maxSkew: Int64(maxSkew) * 1000)
            let report = try await store.apply(set.blocks)
            try await store.settle()
            if options.json {
                try Output.json([
                    "applied": report.applied, "duplicates": report.duplicates, "refused": report.refused, "denied": report.denied,
                ])
            } else {
                print(
                    "Applied \(report.applied) new changes from \(set.sender) (\(report.duplicates) already held"
                        + (report.refused > 0 ? ", \(report.refused) refused as the losing side of a fork or signed by a revoked certificate: see 'status'" : "")
                        + (report.denied > 0 ? ", \(report.denied) logged but not merged" : "") + ")")
                for notice in report.notices { Output.note("note: \(notice)") }
            }
        }
    }

    /// A CA's `revoked.json`: its signed entries become revocation records of this replica, which
    /// sync carries to every site (Docs/replication.md, "Revocation").
    private func importRevocations(_ data: Data) async throws {
        let list = try RevocationList.decode(data, source: file)
        let records = list.revoked.filter { $0.signature != nil }.map(\.record)
        guard !records.isEmpty else {
            throw DomainError.invalidValue(
                field: "file", value: file, rule: "holds no signed revocation: make it with 'ticketmesh certs revoke' (which signs every entry)")
        }
        let store = try options.openStore()
        let fresh = try await store.importRevocations(records, actor: options.actor)
        if options.json {
            try Output.json(["revocations": records.count, "new": fresh])
        } else {
            print("Recorded \(fresh) new revocation record(s) of \(records.count) in \(file); sync carries them to every site")
        }
    }
}
