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

    /// A server certificate and key for `ssl=on`, with the CA that must have signed clients' certificates.
    struct TLSFiles {
        let certificate: URL
        let key: URL
        let clientCA: URL
    }

    /// initdb, start on a free port, create database `ticketmesh` owned by role `tm` (trust auth on loopback).
    ///
    /// With `tls`, TCP connections must use TLS and show a client certificate signed by
    /// `tls.clientCA` whose common name is the user (`hostssl … clientcert=verify-full`); plain TCP
    /// connections are rejected. `psql` then talks over the Unix socket.
    init(tls: TLSFiles? = nil) async throws {
        guard let bin = Self.binDirectory else { throw CLI.CLIError(message: Self.unavailable ?? "no PostgreSQL") }
        self.bin = bin
        root = temporaryDirectory("pg")
        port = Self.freePort()
        socketOnly = tls != nil
        var options = "-k \(root.path) -p \(port) -h 127.0.0.1 -c max_connections=200 -c fsync=off"
        if let tls {
            // The server reads its key only if no one else can: a copy of its own, mode 0600.
            let directory = root.appendingPathComponent("server-tls")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (file, name) in [(tls.certificate, "server.crt"), (tls.key, "server.key"), (tls.clientCA, "ca.crt")] {
                try FileManager.default.copyItem(at: file, to: directory.appendingPathComponent(name))
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory.appendingPathComponent("server.key").path)
            options += " -c ssl=on -c ssl_cert_file=\(directory.path)/server.crt -c ssl_key_file=\(directory.path)/server.key"
            options += " -c ssl_ca_file=\(directory.path)/ca.crt"
        }
        if Self.asRoot {
            _ = try await Self.run(URL(fileURLWithPath: "/bin/chown"), ["-R", "postgres", root.path], in: root, asPostgres: false)
        }
        let data = root.appendingPathComponent("data")
        try await run("initdb", ["-D", data.path, "-U", "tm", "--auth=trust", "-E", "UTF8"])
        if tls != nil {
            let rules = """
                local all all trust
                hostssl all all 127.0.0.1/32 trust clientcert=verify-full
                hostnossl all all 127.0.0.1/32 reject

                """
            try rules.write(to: data.appendingPathComponent("pg_hba.conf"), atomically: false, encoding: .utf8)
        }
        try await run("pg_ctl", ["-D", data.path, "-l", root.appendingPathComponent("server.log").path, "-w", "-o", options, "start"])
        try await psql("CREATE DATABASE ticketmesh", database: "postgres")
    }

    /// Whether `psql` must use the Unix socket (TCP takes only TLS with a client certificate).
    private let socketOnly: Bool

    var url: String { "postgres://tm@127.0.0.1:\(port)/ticketmesh" }

    /// Runs SQL with psql; returns its unaligned, tuples-only output.
    @discardableResult
    func psql(_ sql: String, database: String = "ticketmesh") async throws -> String {
        let host = socketOnly ? root.path : "127.0.0.1"
        return try await run("psql", ["-h", host, "-p", "\(port)", "-U", "tm", "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
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
