import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Live updates under load (issue 16): a real `ticketmesh web` process with `streams` open
/// Server-Sent Event streams of the queue page, and commits made through the API (`POST
/// /api/tickets/{id}/notes`, this process's commit hook) and by CLI processes on the same file
/// (the `PRAGMA data_version` poll).
///
/// Latency is measured per stream from just before the request is written to the moment the
/// `commit` event is read on that stream, so it includes the HTTP request, the commit and the
/// fan-out; for CLI commits it runs from the CLI process's exit (its commit is done by then).
enum LiveBench {
    struct Figures {
        var p50: Double
        var p99: Double
        var max: Double
        var received: Int
        var expected: Int
    }

    static let user = WebBench.user
    static let password = WebBench.password

    static func fanout(streams: Int = 200, quick: Bool) async throws -> (api: Figures, cli: Figures) {
        let directory = StoreBench.scratch()
        let data = ["--data", directory.path]
        for command in [
            ["init", "--site", "HQ"], ["user", "add", user, "--role", "admin"], ["user", "password", user, "--password", password, "--as", user],
            ["customer", "add", "--id", "C0001", "--name", "Bench", "--as", user],
        ] {
            guard try WebBench.run(command + data) == 0 else { throw SyncBench.BenchError(description: "ticketmesh \(command[0]) failed") }
        }
        let serverOut = directory.appendingPathComponent("web.out")
        let server = try SyncBench.spawn(["web", "--http", "127.0.0.1:0"] + data, stdout: serverOut)
        defer { server.terminate() }
        var port: Int?
        for _ in 0..<1500 where port == nil {
            let text = (try? String(contentsOf: serverOut, encoding: .utf8)) ?? ""
            port = text.firstMatch(of: /listening on http:\/\/[0-9.]+:([0-9]+)/).flatMap { Int($0.1) }
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard let port else { throw SyncBench.BenchError(description: "web did not print its HTTP port") }
        let base = "http://127.0.0.1:\(port)"
        let token = try WebBench.login(base)
        let (status, created) = try WebBench.curl([
            "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "--data",
            #"{"customerId":"C0001","channel":"phone","type":"complaint/service","urgency":"normal","summary":"bench"}"#,
            base + "/api/tickets",
        ])
        guard status == 201, let id = created.firstMatch(of: /"id"\s*:\s*"([^"]+)"/).map({ String($0.1) }) else {
            throw SyncBench.BenchError(description: "POST /api/tickets answered \(status): \(created)")
        }

        let fanout = try Fanout(port: port, path: "/live/queue", cookie: "tm_session=\(token)", count: streams)
        defer { fanout.close() }
        guard await fanout.waitOpen(seconds: 30) else {
            throw SyncBench.BenchError(description: "only \(fanout.openCount) of \(streams) event streams opened")
        }
        print("live: \(streams) SSE streams open on /live/queue of \(base)")

        let writer = try Connection(port: port)
        let commits = quick ? 20 : 50
        var api: [Double] = []
        var apiReceived = 0
        for index in 0..<commits {
            let before = fanout.counts()
            let body = #"{"body":"bench note \#(index)"}"#
            let request =
                "POST /api/tickets/\(id)/notes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            let start = Date().timeIntervalSince1970
            try writer.exchange(request)
            let arrivals = await fanout.next(after: before, seconds: 5)
            apiReceived += arrivals.count
            api += arrivals.map { $0 - start }
            try await Task.sleep(for: .milliseconds(50))
        }

        var cli: [Double] = []
        var cliReceived = 0
        let cliCommits = quick ? 5 : 10
        for index in 0..<cliCommits {
            let before = fanout.counts()
            guard try WebBench.run(["ticket", "note", id, "cli note \(index)", "--as", user] + data) == 0 else {
                throw SyncBench.BenchError(description: "ticketmesh ticket note failed")
            }
            let exited = Date().timeIntervalSince1970
            let arrivals = await fanout.next(after: before, seconds: 5)
            cliReceived += arrivals.count
            cli += arrivals.map { max(0, $0 - exited) }
        }
        return (
            figures(api, received: apiReceived, expected: commits * streams),
            figures(cli, received: cliReceived, expected: cliCommits * streams)
        )
    }

    static func figures(_ samples: [Double], received: Int, expected: Int) -> Figures {
        let sorted = samples.sorted()
        func at(_ q: Double) -> Double { sorted.isEmpty ? .infinity : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
        return Figures(p50: at(0.5), p99: at(0.99), max: sorted.last ?? .infinity, received: received, expected: expected)
    }

    /// Runs the bench and prints its rows.
    static func run(quick: Bool) async throws {
        let (api, cli) = try await fanout(quick: quick)
        print(
            String(
                format: "live: commit (POST note) → event at 200 open SSE streams: p50 %.1f ms, p99 %.1f ms, max %.1f ms (goal p99 ≤ 1000 ms); %d of %d events",
                api.p50 * 1000, api.p99 * 1000, api.max * 1000, api.received, api.expected))
        print(
            String(
                format: "live: CLI commit (another process, data_version poll every 200 ms) → event at 200 streams: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d of %d events",
                cli.p50 * 1000, cli.p99 * 1000, cli.max * 1000, cli.received, cli.expected))
    }

    /// A keep-alive HTTP/1.1 connection for the commits: writes a request, reads its whole response.
    final class Connection {
        let socket: Int32

        init(port: Int) throws {
            socket = try connectLoopback(port)
        }

        func exchange(_ request: String) throws {
            let sent = request.withCString { send(socket, $0, strlen($0), 0) }
            guard sent > 0 else { throw SyncBench.BenchError(description: "write failed") }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var text = ""
            // One read usually holds the whole small response; read until the body's length is in.
            while true {
                let count = recv(socket, &buffer, buffer.count, 0)
                guard count > 0 else { throw SyncBench.BenchError(description: "the server closed the connection") }
                text += String(decoding: buffer[0..<count], as: UTF8.self)
                guard let end = text.range(of: "\r\n\r\n") else { continue }
                let head = text[..<end.lowerBound]
                guard head.hasPrefix("HTTP/1.1 201") else { throw SyncBench.BenchError(description: "note answered: \(head)") }
                let length = head.firstMatch(of: /(?i)content-length:\s*([0-9]+)/).flatMap { Int($0.1) } ?? 0
                if text[end.upperBound...].utf8.count >= length { return }
            }
        }

        deinit { Glibc.close(socket) }
    }

    /// `count` event streams read by one thread with poll(2); records when each `commit` event arrives.
    final class Fanout: @unchecked Sendable {
        private let sockets: [Int32]
        private let state: Mutex<(open: Set<Int>, arrivals: [[Double]])>
        private let stop = Atomic<Bool>(false)

        init(port: Int, path: String, cookie: String, count: Int) throws {
            var sockets: [Int32] = []
            for _ in 0..<count {
                let socket = try connectLoopback(port)
                let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCookie: \(cookie)\r\n\r\n"
                _ = request.withCString { send(socket, $0, strlen($0), 0) }
                sockets.append(socket)
            }
            self.sockets = sockets
            state = Mutex(([], Array(repeating: [], count: count)))
            Thread { [self] in self.read() }.start()
        }

        private func read() {
            var descriptors = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            var buffers = Array(repeating: "", count: sockets.count)
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while !stop.load(ordering: .relaxed) {
                guard poll(&descriptors, nfds_t(descriptors.count), 100) > 0 else { continue }
                let now = Date().timeIntervalSince1970
                for index in descriptors.indices where descriptors[index].revents & Int16(POLLIN) != 0 {
                    let count = recv(descriptors[index].fd, &chunk, chunk.count, 0)
                    guard count > 0 else {
                        descriptors[index].fd = -1
                        continue
                    }
                    buffers[index] += String(decoding: chunk[0..<count], as: UTF8.self)
                    var opened = false
                    var commits = 0
                    while let end = buffers[index].range(of: "\n\n") {
                        let frame = buffers[index][..<end.lowerBound]
                        if frame.contains(": open") { opened = true }
                        if frame.contains("event: commit") { commits += 1 }
                        buffers[index] = String(buffers[index][end.upperBound...])
                    }
                    if opened || commits > 0 {
                        state.withLock { state in
                            if opened { state.open.insert(index) }
                            for _ in 0..<commits { state.arrivals[index].append(now) }
                        }
                    }
                }
            }
        }

        var openCount: Int { state.withLock { $0.open.count } }

        func waitOpen(seconds: Double) async -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if openCount == sockets.count { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return false
        }

        /// How many commit events each stream has read so far.
        func counts() -> [Int] { state.withLock { $0.arrivals.map(\.count) } }

        /// The arrival time of the first commit event after `before` on each stream that got one within `seconds`.
        func next(after before: [Int], seconds: Double) async -> [Double] {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let arrived = state.withLock { state in zip(state.arrivals, before).filter { $0.0.count > $0.1 }.count }
                if arrived == sockets.count { break }
                try? await Task.sleep(for: .milliseconds(2))
            }
            return state.withLock { state in zip(state.arrivals, before).compactMap { $0.0.count > $0.1 ? $0.0[$0.1] : nil } }
        }

        func close() {
            stop.store(true, ordering: .relaxed)
            for socket in sockets { Glibc.close(socket) }
        }
    }
}

/// A TCP connection to 127.0.0.1:`port`.
func connectLoopback(_ port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SyncBench.BenchError(description: "socket() failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        Glibc.close(fd)
        throw SyncBench.BenchError(description: "cannot connect to 127.0.0.1:\(port)")
    }
    return fd
}
