import Foundation
import Testing

/// Two network namespaces joined by a veth pair: a slow link that flaps and then fails, then heals.
///
/// Runs only as root with `ip` and `tc` present; otherwise the suite is skipped and says why. This
/// kernel has no netem qdisc, so the link is slowed with `tbf` (rate limit, queueing delay), packet
/// loss comes from flapping the link down and up under TCP, and a cut is a link left down past the
/// idle timeout. Traffic stays inside the two namespaces.
@Suite(.serialized, .timeLimit(.minutes(3)), .disabled(if: Netns.unavailable != nil, "\(Netns.unavailable ?? "")"))
struct NetworkNamespaceTests {
    static let ip = Netns.ip
    static let tc = Netns.tc

    /// Runs a tool to completion, throwing on failure.
    @discardableResult
    static func tool(_ executable: URL, _ arguments: [String], in root: URL) async throws -> String {
        let child = try CLI.Child(arguments, in: root, executable: executable)
        let status = try await child.wait()
        guard status == 0 else {
            throw CLI.CLIError(message: "\(executable.lastPathComponent) \(arguments) failed: \(child.errors)")
        }
        return child.output
    }

    /// Runs `ticketmesh arguments` inside namespace `namespace`.
    static func inside(_ namespace: String, _ arguments: [String], in root: URL) throws -> CLI.Child {
        try CLI.Child(["netns", "exec", namespace, CLI.binary!.path] + arguments, in: root, executable: ip)
    }

    @Test func convergesOverFlakyVethLinkAfterItHeals() async throws {
        let root = temporaryDirectory("netns")
        let tag = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let (nsA, nsB) = ("tmA\(tag)", "tmB\(tag)")
        let (vethA, vethB) = ("tva\(tag)".prefix(15), "tvb\(tag)".prefix(15))
        let octet = Int.random(in: 1...250)
        let (addrA, addrB) = ("10.231.\(octet).1", "10.231.\(octet).2")
        try await Self.tool(Self.ip, ["netns", "add", nsA], in: root)
        try await Self.tool(Self.ip, ["netns", "add", nsB], in: root)
        defer {
            // Deleting the namespaces also removes the veth pair.
            for namespace in [nsA, nsB] {
                let cleanup = Process()
                cleanup.executableURL = Self.ip
                cleanup.arguments = ["netns", "del", namespace]
                try? cleanup.run()
                cleanup.waitUntilExit()
            }
        }
        try await Self.tool(
            Self.ip,
            ["link", "add", String(vethA), "netns", nsA, "type", "veth", "peer", "name", String(vethB), "netns", nsB],
            in: root
        )
        for (namespace, device, address) in [(nsA, String(vethA), addrA), (nsB, String(vethB), addrB)] {
            try await Self.tool(Self.ip, ["-n", namespace, "addr", "add", "\(address)/30", "dev", device], in: root)
            try await Self.tool(Self.ip, ["-n", namespace, "link", "set", device, "up"], in: root)
            try await Self.tool(Self.ip, ["-n", namespace, "link", "set", "lo", "up"], in: root)
            // A slow link: 4 Mbit/s with up to 200 ms of queueing.
            try await Self.tool(
                Self.ip,
                [
                    "netns", "exec", namespace, Self.tc.path, "qdisc", "add", "dev", device, "root", "tbf", "rate",
                    "4mbit", "burst", "16kb", "latency", "200ms",
                ],
                in: root
            )
        }
        let cluster = try await ProcessClusterTests.Cluster(sites: ["HQ", "BJ"])
        try await cluster.write("HQ", 4_000)
        try await cluster.write("BJ", 6_000)
        let hq = try Self.inside(
            nsA,
            ["serve", "--data", cluster.data("HQ").path, "--tls", cluster.tls("HQ").path, "--sync", "\(addrA):0"],
            in: root
        )
        let port = try await hq.boundPort()
        let syncArguments = [
            "sync", "--data", cluster.data("BJ").path, "--tls", cluster.tls("BJ").path, "--peer", "\(addrA):\(port)",
            "--batch-size", "200", "--idle-timeout", "2", "--json",
        ]
        // Session 1: the link flaps (packet loss under TCP), then goes down for good: the session is dropped.
        let first = try Self.inside(nsB, syncArguments, in: root)
        for _ in 0..<3 {
            try await Task.sleep(for: .milliseconds(250))
            try await Self.tool(Self.ip, ["-n", nsB, "link", "set", String(vethB), "down"], in: root)
            try await Task.sleep(for: .milliseconds(150))
            try await Self.tool(Self.ip, ["-n", nsB, "link", "set", String(vethB), "up"], in: root)
        }
        try await Self.tool(Self.ip, ["-n", nsB, "link", "set", String(vethB), "down"], in: root)
        let firstStatus = try await first.wait(timeout: .seconds(60))
        // Whether it finished before the final cut or not, the heal below must converge.
        try await Task.sleep(for: .milliseconds(300))
        try await Self.tool(Self.ip, ["-n", nsB, "link", "set", String(vethB), "up"], in: root)
        var healed = try Self.inside(nsB, syncArguments, in: root)
        var status = try await healed.wait(timeout: .seconds(60))
        for _ in 0..<3 where status != 0 {
            try await Task.sleep(for: .seconds(1))
            healed = try Self.inside(nsB, syncArguments, in: root)
            status = try await healed.wait(timeout: .seconds(60))
        }
        #expect(status == 0, "first session exit \(firstStatus); healed session: \(healed.errors)")
        let (h, b) = (try await cluster.status("HQ"), try await cluster.status("BJ"))
        #expect(h.digest == b.digest && h.vector == b.vector && h.changes == 10_000, "\(h) \(b)")
        hq.signal(SIGTERM)
        _ = try await hq.wait()
    }
}

/// Whether the namespace test can run here, and why not.
enum Netns {
    static let ip = URL(fileURLWithPath: "/usr/sbin/ip")
    static let tc = URL(fileURLWithPath: "/usr/sbin/tc")

    static let unavailable: String? = {
        if let reason = CLI.unavailable { return reason }
        if getuid() != 0 { return "network-namespace test needs root (ip netns); skipped" }
        for tool in [ip, tc] where !FileManager.default.isExecutableFile(atPath: tool.path) {
            return "network-namespace test needs \(tool.path); skipped"
        }
        return nil
    }()
}
