import Foundation

/// Runs the real `ticketmesh` binary, as a user or script would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stdout parsed as a JSON object.
        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:] }
        /// stdout parsed as a JSON array of objects.
        var array: [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [[String: Any]] ?? [] }
    }

    /// The binary: `$TICKETMESH_BIN`, else `ticketmesh` next to the test bundle, else `.build/debug/ticketmesh`.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["TICKETMESH_BIN"], FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ticketmesh")]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/ticketmesh"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    let root: URL

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("tm-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func data(_ site: String) -> String { root.appendingPathComponent(site).path }
    func file(_ name: String) -> String { root.appendingPathComponent(name).path }

    /// Runs `ticketmesh ARGS` with `--data` for `site` appended when given.
    @discardableResult
    func run(_ arguments: [String], site: String? = nil, user: String = "alice") throws -> Result {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments + (site.map { ["--data", data($0)] } ?? [])
        var environment = ProcessInfo.processInfo.environment
        environment["TICKETMESH_USER"] = user
        environment["TZ"] = "Asia/Shanghai"
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs and requires exit status 0.
    @discardableResult
    func ok(_ arguments: [String], site: String? = nil, user: String = "alice") throws -> Result {
        let result = try run(arguments, site: site, user: user)
        guard result.status == 0 else {
            throw CLIFailure(description: "ticketmesh \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result
    }

    func digest(_ site: String) throws -> String {
        try ok(["status", "--json"], site: site).object["digest"] as? String ?? ""
    }

    /// Exports what `to` lacks from `from` and imports it into `to`: a USB-stick sync.
    func carry(from: String, to: String) throws {
        let vectorFile = file("\(to)-status.json")
        try ok(["status", "--json"], site: to).stdout.write(toFile: vectorFile, atomically: true, encoding: .utf8)
        let setFile = file("\(from)-to-\(to).tmcs")
        try ok(["changes", "export", "--out", setFile, "--for-vector", vectorFile], site: from)
        try ok(["changes", "import", setFile], site: to)
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
}
