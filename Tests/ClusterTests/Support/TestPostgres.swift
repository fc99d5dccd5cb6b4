import Foundation

/// A throw-away PostgreSQL cluster on 127.0.0.1 in a temp directory, for the hub tests.
///
/// Needs the server binaries (`/usr/lib/postgresql/*/bin/initdb`; `scripts/test` installs them).
/// PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
final class TestPostgres: @unchecked Sendable {
    // @unchecked: immutable after init.
    let root: URL
    let port: Int
    let bin: URL

    /// The directory of `initdb`, `pg_ctl` and `psql`, or nil if no server is installed.
    static let binDirectory: URL? = {
        let base = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
            .map { base.appendingPathComponent($0).appendingPathComponent("bin") }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) }
    }()

    static var unavailable: String? {
        if let reason = CLI.unavailable { return reason }
        return binDirectory == nil
            ? "no PostgreSQL server installed (/usr/lib/postgresql/*/bin/initdb): scripts/test installs it" : nil
    }

    static var asRoot: Bool { getuid() == 0 }

    /// initdb, start on a free port, create database `ticketmesh` owned by role `tm` (trust auth on loopback).
    init() async throws {
        guard let bin = Self.binDirectory else { throw CLI.CLIError(message: Self.unavailable ?? "no PostgreSQL") }
        self.bin = bin
        root = temporaryDirectory("pg")
        port = Self.freePort()
        if Self.asRoot {
            _ = try await Self.run(URL(fileURLWithPath: "/bin/chown"), ["-R", "postgres", root.path], in: root, asPostgres: false)
        }
        try await run("initdb", ["-D", root.appendingPathComponent("data").path, "-U", "tm", "--auth=trust", "-E", "UTF8"])
        try await run(
            "pg_ctl",
            [
                "-D", root.appendingPathComponent("data").path, "-l", root.appendingPathComponent("server.log").path, "-w",
                "-o", "-k \(root.path) -p \(port) -h 127.0.0.1 -c max_connections=200 -c fsync=off", "start",
            ])
        try await psql("CREATE DATABASE ticketmesh", database: "postgres")
    }

    var url: String { "postgres://tm@127.0.0.1:\(port)/ticketmesh" }

    /// Runs SQL with psql; returns its unaligned, tuples-only output.
    @discardableResult
    func psql(_ sql: String, database: String = "ticketmesh") async throws -> String {
        try await run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "tm", "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() async {
        _ = try? await run("pg_ctl", ["-D", root.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: root)
    }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) async throws -> String {
        try await Self.run(bin.appendingPathComponent(tool), arguments, in: root, asPostgres: Self.asRoot)
    }

    private static func run(_ tool: URL, _ arguments: [String], in directory: URL, asPostgres: Bool) async throws -> String {
        // Through bash, which closes every descriptor above 2 first: the server that pg_ctl leaves
        // running would otherwise inherit the one Foundation's Process watches for the child's exit,
        // and `pg_ctl start` would never seem to end.
        let command = (asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool.path] : [tool.path]) + arguments
        let script = #"for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec "$@""#
        let (executable, all) = (URL(fileURLWithPath: "/bin/bash"), ["-c", script, "bash"] + command)
        let logs = temporaryDirectory("pgcmd")
        defer { try? FileManager.default.removeItem(at: logs) }
        let child = try CLI.Child(all, in: logs, executable: executable)
        let status = try await child.wait(timeout: .seconds(120))
        guard status == 0 else {
            throw CLI.CLIError(message: "\(tool.lastPathComponent) \(arguments.joined(separator: " ")) exited \(status): \(child.errors) \(child.output)")
        }
        return child.output
    }

    /// A TCP port nothing listens on now.
    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
