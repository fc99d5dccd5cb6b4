import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Provenance end to end with real `ticketmesh` processes, real files and mutual TLS on 127.0.0.1:
/// a branch restored from a raw copy of its data directory, a laptop with a fast clock, forged and
/// altered change files (issue "Integrity"; SPEC R11).
@Suite(.serialized, .timeLimit(.minutes(5)), .disabled(if: CLI.unavailable != nil, "\(CLI.unavailable ?? "")"))
struct ProcessIntegrityTests {
    /// An organisation made by the CLI: one CA, and sites created with `init --tls` (they sign from the start).
    struct Organisation {
        let root = temporaryDirectory("integrity")

        /// Sites in `admins` get an admin-site certificate (`certs site --admin`); the others are branches.
        init(sites: [String], admins: Set<String> = []) async throws {
            try await CLI.run(["certs", "ca", "--org", "Acme", "--out", ca.path], in: root)
            for site in sites {
                try await CLI.run(
                    ["certs", "site", "--ca", ca.path, "--site", site, "--out", tls(site).path] + (admins.contains(site) ? ["--admin"] : []), in: root)
                try await CLI.run(["init", "--site", site, "--data", data(site).path, "--tls", tls(site).path], in: root)
            }
        }

        var ca: URL { root.appendingPathComponent("ca") }
        func tls(_ site: String) -> URL { root.appendingPathComponent("tls-\(site)") }
        func data(_ site: String) -> URL { root.appendingPathComponent("data-\(site)") }
        func file(_ name: String) -> URL { root.appendingPathComponent(name) }

        @discardableResult
        func run(_ site: String, _ arguments: [String], check: Bool = true, executable: URL? = nil, prefix: [String] = [])
            async throws -> (status: Int32, stdout: String, stderr: String)
        {
            let full = prefix + arguments + ["--data", data(site).path]
            let child = try CLI.Child(full, in: root, executable: executable)
            let status = try await child.wait()
            if check && status != 0 {
                throw CLI.CLIError(message: "ticketmesh \(arguments.joined(separator: " ")) on \(site) exited \(status): \(child.errors)")
            }
            return (status, child.output, child.errors)
        }

        func json(_ site: String, _ arguments: [String]) async throws -> Any {
            try JSONSerialization.jsonObject(with: Data(try await run(site, arguments + ["--json"]).stdout.utf8))
        }

        func createTicket(_ site: String, _ summary: String) async throws -> (id: String, number: String) {
            let ticket = try await json(
                site,
                [
                    "ticket", "create", "--customer", "C0001", "--channel", "phone", "--type", "complaint/product", "--urgency",
                    "urgent", "--summary", summary,
                ]) as? [String: Any]
            return (ticket?["id"] as? String ?? "", ticket?["number"] as? String ?? "")
        }

        @discardableResult
        func sync(_ site: String, port: Int, check: Bool = true) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await run(site, ["sync", "--peer", "127.0.0.1:\(port)"], check: check)
        }

        func digest(_ site: String) async throws -> String { try await CLI.status(data(site), in: root).digest }

        /// id → number of every ticket the site lists.
        func tickets(_ site: String) async throws -> [String: String] {
            let list = try await json(site, ["ticket", "list"]) as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0["number"] as? String ?? "") })
        }
    }

    @Test func aBranchRestoredFromARawCopyOfItsDataDirectoryConvergesOverSyncAndFiles() async throws {
        let org = try await Organisation(sites: ["HQ", "SH", "BJ"])
        try await org.run("HQ", ["customer", "add", "--id", "C0001", "--name", "Acme 物流", "--phone", "13800138000"])
        let hq = try CLI.Child(["serve", "--data", org.data("HQ").path, "--sync", "127.0.0.1:0"], in: org.root)
        defer { hq.signal(SIGKILL) }
        let port = try await hq.boundPort()
        try await org.sync("SH", port: port)
        try await org.sync("BJ", port: port)
        let first = try await org.createTicket("SH", "first, before the backup")
        try await org.sync("SH", port: port)
        // Last night's backup: a raw copy of the data directory, identity included.
        try FileManager.default.copyItem(at: org.data("SH"), to: org.file("backup-SH"))
        let second = try await org.createTicket("SH", "second, synced before the disk died")
        try await org.run("SH", ["ticket", "note", second.id, "called the customer"], prefix: [])
        try await org.sync("SH", port: port)
        // The disk dies; the copy comes back; the branch works offline and hands its file to BJ.
        try FileManager.default.removeItem(at: org.data("SH"))
        try FileManager.default.copyItem(at: org.file("backup-SH"), to: org.data("SH"))
        let third = try await org.createTicket("SH", "third, written on the restored copy")
        #expect(third.number == second.number, "the restored copy gives out the same number again")
        try await org.run("SH", ["changes", "export", "--out", org.file("sh.tmcs").path])
        try await org.run("BJ", ["changes", "import", org.file("sh.tmcs").path])
        // The links come back: sync sessions, and a file from HQ to BJ.
        for site in ["SH", "BJ", "SH", "BJ"] { try await org.sync(site, port: port) }
        try await org.run("HQ", ["changes", "export", "--out", org.file("hq.tmcs").path])
        try await org.run("BJ", ["changes", "import", org.file("hq.tmcs").path])

        let digests = try await ["HQ", "SH", "BJ"].asyncMap { try await org.digest($0) }
        #expect(Set(digests).count == 1, "digests \(digests)")
        for site in ["HQ", "SH", "BJ"] {
            let tickets = try await org.tickets(site)
            #expect(Set(tickets.keys) == [first.id, second.id, third.id], "every ticket on \(site)")
            #expect(Set(tickets.values).count == 3, "numbers unique on \(site): \(tickets)")
            #expect(tickets[second.id] == second.number, "the number HQ acknowledged stays on \(site)")
            let shown = try await org.json(site, ["ticket", "show", third.id]) as? [String: Any]
            let fields = shown?["fields"] as? [String: Any]
            #expect(fields?["aliases"] as? [String] == [second.number], "the twice-given number stays an alias on \(site)")
            let notes = (try await org.json(site, ["ticket", "show", second.id]) as? [String: Any])?["notes"] as? [[String: Any]]
            #expect(notes?.compactMap { $0["body"] as? String } == ["called the customer"])
            let verified = try await org.run(site, ["audit", "--verify"], check: false)
            #expect(verified.status == 0, "audit --verify on \(site): \(verified.stdout) \(verified.stderr)")
        }
        let status = try await org.json("SH", ["status"]) as? [String: Any]
        let forks = status?["forks"] as? [[String: Any]] ?? []
        #expect(forks.contains { $0["origin"] as? String == "SH" && $0["state"] as? String == "reissued" }, "\(forks)")
        hq.signal(SIGINT)
        #expect(try await hq.wait() == 0)
    }

    /// Issue "Throughput and footprint", item 3: a replaced laptop starts from HQ's snapshot (real
    /// X.509 certificates, real processes), then syncs on by delta and converges.
    @Test func aLaptopBootstrappedFromASnapshotSyncsOnByDeltaAndConverges() async throws {
        let org = try await Organisation(sites: ["HQ", "SH"], admins: ["HQ"])
        try await CLI.run(["certs", "site", "--ca", org.ca.path, "--site", "LT", "--out", org.tls("LT").path], in: org.root)
        try await org.run("HQ", ["customer", "add", "--id", "C0001", "--name", "Acme 物流"])
        try await org.run("HQ", ["seed", "--tickets", "300", "--customers", "10"])
        let hq = try CLI.Child(["serve", "--data", org.data("HQ").path, "--sync", "127.0.0.1:0"], in: org.root)
        defer { hq.signal(SIGKILL) }
        let port = try await hq.boundPort()
        try await org.sync("SH", port: port)
        let before = try await org.createTicket("SH", "written at SH before the snapshot")
        try await org.sync("SH", port: port)

        let snapshot = org.file("hq.snapshot")
        try await org.run("HQ", ["snapshot", "--out", snapshot.path])
        let refusedAgain = try await org.run("HQ", ["snapshot", "--out", snapshot.path], check: false)
        #expect(refusedAgain.status == 8 && refusedAgain.stderr.contains("exists"), "\(refusedAgain.stderr)")
        let noIdentity = try await CLI.run(["init", "--site", "LT", "--data", org.data("LT").path, "--snapshot", snapshot.path], in: org.root, check: false)
        #expect(noIdentity.status == 2 && noIdentity.stderr.contains("--snapshot") && noIdentity.stderr.contains("--tls"), "\(noIdentity.stderr)")
        let made = try await CLI.run(
            ["init", "--site", "LT", "--data", org.data("LT").path, "--tls", org.tls("LT").path, "--snapshot", snapshot.path], in: org.root)
        #expect(made.stderr.contains("bootstrap: verified") && made.stderr.contains("from HQ's snapshot"), "\(made.stderr)")
        #expect(try await org.digest("LT") == (try await org.digest("HQ")))
        #expect(try await org.tickets("LT")[before.id] == before.number)

        // Work on both sides after the snapshot; delta sync carries only that.
        let after = try await org.createTicket("SH", "written at SH after the snapshot")
        try await org.sync("SH", port: port)
        let laptop = try await org.createTicket("LT", "written on the new laptop")
        // The first sync moves the few changes written since, not the seeded backlog of thousands.
        let first = try await org.json("LT", ["sync", "--peer", "127.0.0.1:\(port)"]) as? [String: Any]
        let received = first?["received"] as? Int ?? -1
        #expect(received > 0 && received < 100, "a delta, not a replay: \(first ?? [:])")
        #expect((first?["sent"] as? Int ?? 0) > 0, "the laptop's own ticket went out: \(first ?? [:])")
        let second = try await org.json("LT", ["sync", "--peer", "127.0.0.1:\(port)"]) as? [String: Any]
        #expect(second?["received"] as? Int == 0, "nothing left to receive: \(second ?? [:])")
        try await org.sync("SH", port: port)
        let digests = try await ["HQ", "SH", "LT"].asyncMap { try await org.digest($0) }
        #expect(Set(digests).count == 1, "digests \(digests)")
        for site in ["HQ", "SH", "LT"] {
            let tickets = try await org.tickets(site)
            #expect(tickets[after.id] != nil && tickets[laptop.id] != nil, "\(site) holds the work of both sides")
            let verified = try await org.run(site, ["audit", "--verify"], check: false)
            #expect(verified.status == 0, "audit --verify on \(site): \(verified.stdout) \(verified.stderr)")
        }
        hq.signal(SIGINT)
        #expect(try await hq.wait() == 0)
    }

    @Test(.disabled(if: Self.faketime == nil, "faketime is not installed (scripts/test installs it)"))
    func aFastClockLaptopIsRefusedByFileAndSyncThenAcceptedAfterRestamp() async throws {
        let org = try await Organisation(sites: ["HQ", "LT"])
        try await org.run("HQ", ["customer", "add", "--id", "C0001", "--name", "Acme 物流"])
        let ticket = try await org.createTicket("HQ", "printer jam")
        let hq = try CLI.Child(["serve", "--data", org.data("HQ").path, "--sync", "127.0.0.1:0"], in: org.root)
        defer { hq.signal(SIGKILL) }
        let port = try await hq.boundPort()
        try await org.sync("LT", port: port)
        // Two days fast: the laptop edits offline.
        let fast = ["-f", "+2d", CLI.binary!.path]
        try await org.run("LT", ["ticket", "update", ticket.id, "--summary", "laptop wording"], executable: Self.faketime, prefix: fast)
        let before = try await org.digest("HQ")
        try await org.run("LT", ["changes", "export", "--out", org.file("lt.tmcs").path])
        let imported = try await org.run("HQ", ["changes", "import", org.file("lt.tmcs").path], check: false)
        #expect(imported.status == 7)
        #expect(imported.stderr.contains("from LT is stamped") && imported.stderr.contains("ms ahead of this site's clock"), "\(imported.stderr)")
        let fastSync = try await org.run("LT", ["sync", "--peer", "127.0.0.1:\(port)"], check: false, executable: Self.faketime, prefix: fast)
        #expect(fastSync.status == 9 && fastSync.stderr.contains("clock skew"), "\(fastSync.stderr)")
        // The clock is right again, but the work is still stamped in the future: refused, by name.
        let stale = try await org.sync("LT", port: port, check: false)
        #expect(stale.status == 9 && stale.stderr.contains("stamped") && stale.stderr.contains("restamp"), "\(stale.stderr)")
        #expect(try await org.digest("HQ") == before)
        let restamped = try await org.run("LT", ["clock", "restamp"])
        #expect(restamped.stdout.contains("Re-stamped 1 changes"))
        try await org.sync("LT", port: port)
        let shown = try await org.json("HQ", ["ticket", "show", ticket.id]) as? [String: Any]
        #expect((shown?["fields"] as? [String: Any])?["summary"] as? String == "laptop wording")
        // HQ edits after seeing the laptop's value: that later write wins everywhere, no conflict.
        try await org.run("HQ", ["ticket", "update", ticket.id, "--summary", "HQ wording"])
        try await org.sync("LT", port: port)
        let onLaptop = try await org.json("LT", ["ticket", "show", ticket.id]) as? [String: Any]
        #expect((onLaptop?["fields"] as? [String: Any])?["summary"] as? String == "HQ wording")
        #expect((onLaptop?["conflicts"] as? [Any])?.isEmpty == true)
        #expect(try await org.digest("LT") == org.digest("HQ"))
        hq.signal(SIGINT)
        #expect(try await hq.wait() == 0)
    }

    @Test func siteEnrollSignsAnExistingReplicasHistorySoPeersAcceptIt() async throws {
        let org = try await Organisation(sites: ["HQ"])
        try await CLI.run(["certs", "site", "--ca", org.ca.path, "--site", "SH", "--out", org.tls("SH").path], in: org.root)
        try await CLI.run(["init", "--site", "SH", "--data", org.data("SH").path], in: org.root)
        try await org.run("SH", ["customer", "add", "--id", "C0001", "--name", "Acme 物流"])
        let ticket = try await org.createTicket("SH", "written before enrolling")
        let lone = try await org.json("SH", ["status"]) as? [String: Any]
        #expect(lone?["signed"] as? Bool == false)
        // Unsigned history is refused by a site of the organisation.
        try await org.run("SH", ["changes", "export", "--out", org.file("unsigned.tmcs").path])
        let refused = try await org.run("HQ", ["changes", "import", org.file("unsigned.tmcs").path], check: false)
        #expect(refused.status == 7 && refused.stderr.contains("is unsigned"), "\(refused.stderr)")
        // Enrolled, the same history is signed in place and accepted.
        let enrolled = try await org.run("SH", ["site", "enroll", "--tls", org.tls("SH").path])
        #expect(enrolled.stdout.contains("blocks signed"))
        let mode = try FileManager.default.attributesOfItem(atPath: org.data("SH").appendingPathComponent("identity/site.key").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try await org.run("SH", ["changes", "export", "--out", org.file("signed.tmcs").path])
        try await org.run("HQ", ["changes", "import", org.file("signed.tmcs").path])
        let shown = try await org.json("HQ", ["ticket", "show", ticket.id]) as? [String: Any]
        #expect((shown?["fields"] as? [String: Any])?["summary"] as? String == "written before enrolling")
        #expect(try await org.run("SH", ["audit", "--verify"]).status == 0)
        // Another site's identity is refused by name.
        let wrong = try await org.run("SH", ["site", "enroll", "--tls", org.tls("HQ").path], check: false)
        #expect(wrong.status == 2 && wrong.stderr.contains("must hold the certificate of site SH"), "\(wrong.stderr)")
    }

    static let faketime: URL? = ["/usr/bin/faketime", "/usr/local/bin/faketime"].first { FileManager.default.isExecutableFile(atPath: $0) }
        .map(URL.init(fileURLWithPath:))

    @Test func forgedAlteredAndReplayedFilesAreRefusedWhileTheSiteKeepsServing() async throws {
        let org = try await Organisation(sites: ["HQ", "SH"])
        try await org.run("HQ", ["customer", "add", "--id", "C0001", "--name", "Acme 物流"])
        let hq = try CLI.Child(["serve", "--data", org.data("HQ").path, "--sync", "127.0.0.1:0"], in: org.root)
        defer { hq.signal(SIGKILL) }
        let port = try await hq.boundPort()
        try await org.sync("SH", port: port)
        let ticket = try await org.createTicket("SH", "refund 100 yuan")
        try await org.run("SH", ["changes", "export", "--out", org.file("genuine.tmcs").path])
        let genuine = try ChangeSet(decoding: Array(try Data(contentsOf: org.file("genuine.tmcs"))))
        let shSigner = try SiteIdentity.load(directory: org.tls("SH")).provenance().signer
        let hqHeads = try await ReplicaStore.open(directory: org.data("SH"), configuration: .init(provenance: try SiteIdentity.provenance(inData: org.data("SH")))).heads()
        let before = try await org.digest("HQ")

        func refused(_ name: String, _ blocks: [Block], expecting message: String) async throws {
            let url = org.file(name)
            try Data(ChangeSet(sender: SiteCode(trusted: "SH"), blocks: blocks).encoded()).write(to: url)
            let result = try await org.run("HQ", ["changes", "import", url.path], check: false)
            #expect(result.status == 7, "\(name): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
            #expect(try await org.digest("HQ") == before, "\(name) changed HQ")
        }
        func forged(origin: String, after head: ChainHead?) throws -> Block {
            let change = Change(
                origin: SiteCode(trusted: origin), seq: (head?.seq ?? 0) + 1, hlc: HLC(physical: Int64(Date().timeIntervalSince1970 * 1000), logical: 0),
                entity: "user", rowID: "mallory", field: "role", value: .text("admin"))
            var block = try Block(previous: head?.hash ?? .zero, changes: [change])
            block.signature = try shSigner.sign(block.hash)
            block.certificate = shSigner.certificate
            return block
        }
        // SH writes as HQ (own-origin injection) and as a site that does not exist, with its own key.
        try await refused("as-hq.tmcs", [try forged(origin: "HQ", after: hqHeads[SiteCode(trusted: "HQ")])], expecting: "names site SH, not the block's origin HQ")
        try await refused("as-bj.tmcs", [try forged(origin: "BJ", after: nil)], expecting: "names site SH, not the block's origin BJ")
        // One byte of a signed value changed (the file's checksum recomputed): the signature no longer holds.
        let shBlocks = genuine.blocks.filter { $0.origin == SiteCode(trusted: "SH") }
        var altered = shBlocks
        let index = altered.lastIndex { $0.changes.contains { $0.value == .text("refund 100 yuan") } }!
        let changes = altered[index].changes.map { change in
            var change = change
            if change.value == .text("refund 100 yuan") { change.value = .text("refund 900 yuan") }
            return change
        }
        var tampered = try Block(previous: altered[index].previous, changes: changes, signature: altered[index].signature)
        tampered.certificate = altered[index].certificate
        altered[index] = tampered
        try await refused("altered.tmcs", altered, expecting: "does not carry a valid signature of SH")
        // Replayed and reordered genuine blocks: accepted once, in chain order.
        try Data(ChangeSet(sender: SiteCode(trusted: "SH"), blocks: genuine.blocks.reversed()).encoded()).write(to: org.file("reordered.tmcs"))
        let applied = try await org.json("HQ", ["changes", "import", org.file("reordered.tmcs").path]) as? [String: Int]
        #expect(applied?["refused"] == 0 && (applied?["applied"] ?? 0) > 0, "\(String(describing: applied))")
        let replayed = try await org.json("HQ", ["changes", "import", org.file("genuine.tmcs").path]) as? [String: Int]
        #expect(replayed?["applied"] == 0 && replayed?["duplicates"] == applied.map { $0["applied", default: 0] + $0["duplicates", default: 0] })
        // Still serving, and the genuine ticket is there; a backup taken while serving is consistent.
        try await org.sync("SH", port: port)
        try await org.run("HQ", ["backup", "--out", org.file("hq-backup").path])
        #expect(try await CLI.status(org.file("hq-backup"), in: org.root).digest == org.digest("HQ"))
        #expect(FileManager.default.fileExists(atPath: org.file("hq-backup").appendingPathComponent("identity/site.key").path))
        let shown = try await org.json("HQ", ["ticket", "show", ticket.id]) as? [String: Any]
        #expect((shown?["fields"] as? [String: Any])?["summary"] as? String == "refund 100 yuan")
        #expect(try await org.digest("HQ") == org.digest("SH"))
        hq.signal(SIGINT)
        #expect(try await hq.wait() == 0)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
