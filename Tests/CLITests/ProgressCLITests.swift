import Foundation
import Testing

/// Long work shows progress (issue "Throughput and footprint", item 4): redrawn on a terminal with
/// done / total, rate and time left; one line per stage in a log or pipe.
@Suite struct ProgressCLITests {
    let cli = CLI()

    @Test func seedingOffATerminalPrintsOneLineForTheStage() throws {
        try cli.ok(["init", "--site", "HQ"], site: "HQ")
        let seeded = try cli.ok(["seed", "--tickets", "200", "--customers", "10", "--batch", "20"], site: "HQ")
        let lines = seeded.stderr.split(separator: "\n").filter { $0.hasPrefix("seed:") }
        #expect(lines.count == 1, "\(seeded.stderr)")
        #expect(lines.first?.contains("seed: 200 tickets in ") == true && lines.first?.contains("/s); ") == true, "\(seeded.stderr)")
        #expect(!seeded.stderr.contains("\r"), "no redrawing into a pipe")
    }

    /// `script` gives the command a pseudo-terminal, as an operator's shell would.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "util-linux script is not installed"))
    func seedingOnATerminalRedrawsDoneTotalRateAndTimeLeft() throws {
        try cli.ok(["init", "--site", "HQ"], site: "HQ")
        let command = [CLI.binary.path, "seed", "--tickets", "400", "--customers", "10", "--batch", "10", "--data", cli.data("HQ")]
            .map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let screen = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(screen)")
        #expect(screen.contains("\rseed: 10/400 tickets (2 %), "), "the first batch is drawn: \(screen)")
        #expect(screen.contains(" s left"), "\(screen)")
        #expect(screen.contains("seed: 400 tickets in "), "the stage ends with its summary: \(screen)")
    }
}
