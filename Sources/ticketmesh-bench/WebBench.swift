import Foundation
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// The web queue under load (issue 7): `wrk` against a real `ticketmesh serve --http` process over a
/// large seeded replica, the logged-in `/queue` page against the trivial `/health` route of the same
/// server, in alternating rounds.
///
/// Prints each round, then the medians: requests per second of both, their ratio (queue / trivial,
/// goal ≥ 0.25) and the queue's p99 latency from `wrk --latency`.
enum WebBench {
    struct Round {
        var trivial: Load
        var queue: Load
        var ratio: Double { queue.requestsPerSecond / trivial.requestsPerSecond }
    }

    /// What one `wrk` run reported.
    struct Load {
        var requestsPerSecond: Double
        /// Latency percentiles, seconds.
        var p50: Double
        var p99: Double
    }

    static let user = LargeReplica.user
    /// The search word of the searched queue bench: in the sample data's logistics summaries.
    static let searchWord = "物流延误"
    static let password = "bench-password-1"

    /// Serves the bench replica (`LargeReplica`) and loads both routes.
    static func queue(replica: (url: URL, tickets: Int), quick: Bool) async throws -> [Round] {
        let (directory, held) = replica
        guard held > 0 else { throw SyncBench.BenchError(description: "the replica at \(directory.path) holds no tickets") }
        // An admin with a password: `user add` fails harmlessly if a reused replica has one already.
        _ = try run(["user", "add", user, "--role", "admin", "--data", directory.path])
        guard try run(["user", "password", user, "--password", password, "--as", user, "--data", directory.path]) == 0 else {
            throw SyncBench.BenchError(description: "ticketmesh user password failed")
        }

        let root = StoreBench.scratch()
        let serverOut = root.appendingPathComponent("serve.out")
        // serve always loads a site certificate (for sync); only its HTTP listener is used here. The
        // first serve enrols the replica with it (signs HQ's blocks), so the CA and the certificate
        // stay with the replica for the next run. HQ is the head office (an admin site): as a branch,
        // its enrolment would first take back every organisation record it seeded, a rebuild of the
        // whole replica.
        let tls = directory.appendingPathComponent("bench-tls")
        if !FileManager.default.fileExists(atPath: tls.appendingPathComponent("site.pem").path) {
            let ca = try CertificateAuthority.create(organization: "Bench", directory: directory.appendingPathComponent("bench-ca"))
            try ca.writeSite(try SiteCode("HQ"), to: tls, admin: true)
        }
        let server = try SyncBench.spawn(
            [
                // No automation: its first run on the bench replica escalates every breach (batch after
                // batch), writes that are not what this bench measures.
                "serve", "--data", directory.path, "--tls", tls.path, "--http", "127.0.0.1:0",
                "--log-level", "warning", "--sweep-interval", "0",
            ],
            stdout: serverOut)
        defer { server.terminate() }
        var port: Int?
        // Up to ten minutes: the first serve of a new replica enrols it.
        for _ in 0..<30_000 where port == nil && server.isRunning {
            let text = (try? String(contentsOf: serverOut, encoding: .utf8)) ?? ""
            port = text.firstMatch(of: /listening on http:\/\/[0-9.]+:([0-9]+)/).flatMap { Int($0.1) }
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard let port else { throw SyncBench.BenchError(description: "serve did not print its HTTP port (running: \(server.isRunning))") }
        let base = "http://127.0.0.1:\(port)"
        let token = try login(base)
        let cookie = "Cookie: tm_session=\(token)"
        // One page first: it must be the real queue (200 with rows), not a login redirect.
        let (status, page) = try fetch(base + "/queue", header: cookie)
        let rows = page.components(separatedBy: "class=\"ticket-row\"").count - 1
        guard status == 200, rows > 0 else {
            throw SyncBench.BenchError(description: "GET /queue answered \(status) with \(rows) rows")
        }
        print("web queue: serving \(directory.path) on \(base); /queue renders \(rows) rows, \(page.utf8.count) bytes")

        let duration = quick ? 5 : 10
        var rounds: [Round] = []
        for index in 0..<(quick ? 2 : 3) {
            let trivial = try wrk(base + "/health", header: nil, seconds: duration)
            let queue = try wrk(base + "/queue", header: cookie, seconds: duration)
            let round = Round(trivial: trivial, queue: queue)
            print(
                String(
                    format:
                        "web round %d: /health %.0f req/s (p99 %.2f ms); /queue %.0f req/s (p50 %.2f ms, p99 %.2f ms); ratio %.3f",
                    index + 1, trivial.requestsPerSecond, trivial.p99 * 1000, queue.requestsPerSecond, queue.p50 * 1000,
                    queue.p99 * 1000, round.ratio))
            rounds.append(round)
        }
        let ratios = rounds.map(\.ratio).sorted()
        let trivialMedian = rounds.map(\.trivial.requestsPerSecond).sorted()[rounds.count / 2]

        // A busy site: another process (this one) adds a note every 100 ms while wrk loads the queue,
        // so the server's read cache is invalidated ten times a second and pages read the replica again.
        // With the identity `serve --tls` installed in the data directory: a signing site writes only signed.
        let writer = try ReplicaStore.open(
            directory: directory, configuration: .init(provenance: try SiteIdentity.provenance(inData: directory)))
        let targets = try await writer.slaQueue(.init(limit: 20)).map(\.ticket.id)
        let notes = Task {
            var written = 0
            while !Task.isCancelled {
                _ = try await writer.addEntry(targets[written % targets.count], kind: .note, body: "bench note \(written)", actor: user)
                written += 1
                try? await Task.sleep(for: .milliseconds(100))
            }
            return written
        }
        let busy = try wrk(base + "/queue", header: cookie, seconds: duration)
        notes.cancel()
        let written = try await notes.value
        print(
            String(
                format:
                    "web queue page with %d notes written by another process in %d s: %.0f req/s (p50 %.2f ms, p99 %.2f ms); ratio %.3f to the median /health",
                written, duration, busy.requestsPerSecond, busy.p50 * 1000, busy.p99 * 1000, busy.requestsPerSecond / trivialMedian))

        // The filtered and searched queue (issue 16): a filter and a 4-character Chinese search word
        // (trigram index), against /health in the same rounds.
        let searched = base + "/queue?urgency=urgent&q=" + ReplicaStore.TicketFilter.formEncode(Self.searchWord)
        let (searchedStatus, searchedPage) = try fetch(searched, header: cookie)
        let searchedRows = searchedPage.components(separatedBy: "class=\"ticket-row\"").count - 1
        guard searchedStatus == 200, searchedRows > 0 else {
            throw SyncBench.BenchError(description: "GET \(searched) answered \(searchedStatus) with \(searchedRows) rows")
        }
        var searchedRatios: [Double] = []
        var searchedP99s: [Double] = []
        for index in 0..<(quick ? 2 : 3) {
            let trivial = try wrk(base + "/health", header: nil, seconds: duration)
            let load = try wrk(searched, header: cookie, seconds: duration)
            searchedRatios.append(load.requestsPerSecond / trivial.requestsPerSecond)
            searchedP99s.append(load.p99)
            print(
                String(
                    format: "web searched round %d: /health %.0f req/s; filtered + searched /queue %.0f req/s (p99 %.2f ms); ratio %.3f",
                    index + 1, trivial.requestsPerSecond, load.requestsPerSecond, load.p99 * 1000, searchedRatios.last!))
        }
        print(
            "web queue filtered (urgent) + searched (\(Self.searchWord))"
                + String(
                    format: ", %d rows, vs /health, median of %d rounds: ratio %.3f (goal ≥ 0.25); p99 %.2f ms",
                    searchedRows, searchedRatios.count, searchedRatios.sorted()[searchedRatios.count / 2],
                    searchedP99s.sorted()[searchedP99s.count / 2] * 1000))

        let p99s = rounds.map(\.queue.p99).sorted()
        let trivialRates = rounds.map(\.trivial.requestsPerSecond).sorted()
        let queueRates = rounds.map(\.queue.requestsPerSecond).sorted()
        print(
            String(
                format:
                    "web queue page (%d tickets, %d rows) vs /health, median of %d rounds: %.0f vs %.0f req/s; ratio %.3f (goal ≥ 0.25); queue p99 %.2f ms",
                held, rows, rounds.count, queueRates[queueRates.count / 2],
                trivialRates[trivialRates.count / 2], ratios[ratios.count / 2], p99s[p99s.count / 2] * 1000))
        return rounds
    }

    /// Runs `ticketmesh ARGS` quietly; its exit status.
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = SyncBench.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs `tool` with `arguments`; its exit status and standard output.
    static func output(of tool: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs `curl`; its HTTP status and body.
    static func curl(_ arguments: [String]) throws -> (Int, String) {
        var text = try output(of: "/usr/bin/curl", ["-s", "-w", "\n%{http_code}"] + arguments).text
        let status = text.split(separator: "\n").last.flatMap { Int($0) } ?? 0
        if let cut = text.lastIndex(of: "\n") { text = String(text[..<cut]) }
        return (status, text)
    }

    static func fetch(_ url: String, header: String?) throws -> (Int, String) {
        try curl((header.map { ["-H", $0] } ?? []) + [url])
    }

    /// Logs in through the API; the session token (the web UI takes it as the `tm_session` cookie).
    static func login(_ base: String) throws -> String {
        let (status, body) = try curl(["--data-urlencode", "user=\(user)", "--data-urlencode", "password=\(password)", base + "/api/login"])
        guard status == 200, let match = body.firstMatch(of: /"token"\s*:\s*"([0-9a-f]+)"/) else {
            throw SyncBench.BenchError(description: "login answered \(status): \(body)")
        }
        return String(match.1)
    }

    /// `wrk` with one thread and 8 connections (server and load share two cores), with `--latency`.
    static func wrk(_ url: String, header: String?, seconds: Int) throws -> Load {
        let (status, text) = try output(
            of: "/usr/bin/wrk", ["-t1", "-c8", "-d\(seconds)s", "--latency"] + (header.map { ["-H", $0] } ?? []) + [url])
        guard status == 0,
            let rate = text.firstMatch(of: /Requests\/sec:\s+([0-9.]+)/).flatMap({ Double($0.1) }),
            let p50 = percentile("50%", in: text), let p99 = percentile("99%", in: text)
        else { throw SyncBench.BenchError(description: "wrk \(url) failed:\n\(text)") }
        if let errors = text.firstMatch(of: /Non-2xx or 3xx responses:\s+([0-9]+)/) {
            throw SyncBench.BenchError(description: "wrk \(url): \(errors.1) non-2xx responses")
        }
        return Load(requestsPerSecond: rate, p50: p50, p99: p99)
    }

    /// A line of wrk's latency distribution, e.g. `99%    2.34ms`, in seconds.
    static func percentile(_ label: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0] == label else { continue }
            let value = parts[1]
            for (unit, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)] where value.hasSuffix(unit) {
                return Double(value.dropLast(unit.count)).map { $0 * scale }
            }
        }
        return nil
    }
}
