import Foundation

/// Runs the real `ticketmesh` binary.
///
/// Found via `TICKETMESH_BIN`, else next to the test bundle (`swift build --build-tests` puts both in
/// the same directory, e.g. `.build/debug/`). Output goes to files that tests poll, so no test thread blocks.
enum CLI {
    static let binary: URL? = {
        if let path = ProcessInfo.processInfo.environment["TICKETMESH_BIN"] { return URL(fileURLWithPath: path) }
        var directory = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
        )
        for _ in 0..<4 {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent("ticketmesh")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue
            {
                return candidate
            }
        }
        return nil
    }()

    /// Why process tests cannot run, or nil.
    static var unavailable: String? {
        binary == nil ? "ticketmesh binary not found: set TICKETMESH_BIN or build the 'ticketmesh' product" : nil
    }

    /// A running `ticketmesh` process with its stdout and stderr in files.
    final class Child: @unchecked Sendable {
        // @unchecked: `Process` is not Sendable; it is only started here and then signalled or polled.
        let process: Process
        let stdout: URL
        let stderr: URL

        init(_ arguments: [String], in directory: URL, executable: URL? = nil) throws {
            let id = UUID().uuidString.prefix(6)
            stdout = directory.appendingPathComponent("\(arguments.first ?? "x")-\(id).out")
            stderr = directory.appendingPathComponent("\(arguments.first ?? "x")-\(id).err")
            _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
            _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
            process = Process()
            process.executableURL = executable ?? CLI.binary
            process.arguments = arguments
            process.standardOutput = try FileHandle(forWritingTo: stdout)
            process.standardError = try FileHandle(forWritingTo: stderr)
            try process.run()
        }

        var output: String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }
        var errors: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }

        /// Waits for exit and returns the status.
        func wait(timeout: Duration = .seconds(120)) async throws -> Int32 {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                if ContinuousClock.now > deadline {
                    kill(process.processIdentifier, SIGKILL)
                    throw CLIError(message: "ticketmesh \(process.arguments ?? []) did not exit in time")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            return process.terminationStatus
        }

        /// Waits for `serve` to print its bound port.
        func boundPort(timeout: Duration = .seconds(30)) async throws -> Int {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if let match = output.firstMatch(of: /listening on [0-9.]+:([0-9]+)/), let port = Int(match.1) {
                    return port
                }
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw CLIError(message: "serve printed no port: \(output) \(errors)")
        }

        func signal(_ number: Int32) { kill(process.processIdentifier, number) }
    }

    struct CLIError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs `ticketmesh arguments` to completion; throws if it exits non-zero and `check` is set.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL, check: Bool = true) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let child = try Child(arguments, in: directory)
        let status = try await child.wait()
        if check && status != 0 {
            throw CLIError(message: "ticketmesh \(arguments.joined(separator: " ")) exited \(status): \(child.errors)")
        }
        return (status, child.output, child.errors)
    }

    /// `status --json` of a data directory, decoded.
    static func status(_ data: URL, in directory: URL) async throws -> Status {
        let result = try await run(["status", "--data", data.path, "--json"], in: directory)
        return try JSONDecoder().decode(Status.self, from: Data(result.stdout.utf8))
    }

    struct Status: Decodable, Equatable {
        var site: String
        var digest: String
        var vector: [String: Int64]
        var changes: Int
    }
}
