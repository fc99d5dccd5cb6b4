import Foundation
import TicketMeshReplication

/// Sync bookkeeping of one data directory: per peer, the last attempt, last success and its vector.
///
/// Kept in `peers.json` next to the replica (not in the replicated store), rewritten atomically
/// after every session. Only progress *about peers* lives here; what we hold is always the store's
/// own vector, so a lost or stale file never loses or repeats a change.
package actor PeerBook {
    /// The file name in the data directory.
    package static let fileName = "peers.json"

    /// What is known about one peer.
    package struct Entry: Codable, Hashable, Sendable {
        /// The peer's site code, once a session verified it.
        package var site: String?
        /// The address we dial, or nil for peers that dial us.
        package var address: String?
        /// The last session that completed (ISO 8601).
        package var lastSync: String?
        /// The last session attempted (ISO 8601).
        package var lastAttempt: String
        /// Why the last attempt failed; nil after a success.
        package var lastError: String?
        /// Changes sent and received in the last completed session.
        package var sent: Int
        package var received: Int
        /// The peer's vector as of the last completed session.
        package var peerVector: VersionVector?
    }

    /// One peer as `status --json` shows it.
    package struct Status: Codable, Hashable, Sendable {
        package var peer: String
        package var site: String?
        package var address: String?
        package var lastSync: String?
        package var lastAttempt: String
        package var lastError: String?
        /// Changes we hold that the peer lacked at its last completed session, or nil if it never completed.
        package var lag: Int?
    }

    private let url: URL
    private var entries: [String: Entry]

    /// Opens the book in `directory`, starting from what `peers.json` holds.
    package init(directory: URL) {
        url = directory.appendingPathComponent(Self.fileName)
        entries = Self.read(url)
    }

    /// Records a completed session; `dialed` is the address we dialled, nil for an accepted session.
    package func recordSuccess(_ summary: SyncSummary, dialed: String?) {
        let key = dialed ?? summary.peer
        let now = Self.timestamp()
        entries[key] = Entry(
            site: summary.peer,
            address: dialed,
            lastSync: now,
            lastAttempt: now,
            lastError: nil,
            sent: summary.sent,
            received: summary.received,
            peerVector: summary.peerVector
        )
        save()
    }

    /// Records a failed session (the previous success and its vector are kept).
    package func recordFailure(address: String, site: String?, error: String, dialed: Bool) {
        guard dialed || site != nil else { return }
        let key = dialed ? address : site ?? address
        var entry =
            entries[key]
            ?? Entry(site: site, address: dialed ? address : nil, lastAttempt: "", sent: 0, received: 0)
        entry.site = site ?? entry.site
        entry.lastAttempt = Self.timestamp()
        entry.lastError = error
        entries[key] = entry
        save()
    }

    /// The peers of `directory` with their lag against our `vector`, sorted by key.
    package static func status(directory: URL, vector: VersionVector) -> [Status] {
        read(directory.appendingPathComponent(fileName)).sorted { $0.key < $1.key }.map { key, entry in
            let lag = entry.peerVector.map { peer in
                vector.entries.reduce(0) { $0 + Int(max(0, $1.value - peer[$1.key])) }
            }
            return Status(
                peer: key,
                site: entry.site,
                address: entry.address,
                lastSync: entry.lastSync,
                lastAttempt: entry.lastAttempt,
                lastError: entry.lastError,
                lag: lag
            )
        }
    }

    private func save() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(entries) else { return }
        try? PEMFiles.write(String(decoding: data, as: UTF8.self) + "\n", to: url)
    }

    private static func read(_ url: URL) -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        return (try? JSONDecoder().decode([String: Entry].self, from: data)) ?? [:]
    }

    private static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
