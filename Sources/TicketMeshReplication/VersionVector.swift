import TicketMeshDomain

/// Per origin site, the highest sequence number held with no gap below it.
package struct VersionVector: Hashable, Sendable, Codable, CustomStringConvertible {
    package private(set) var entries: [SiteCode: Int64]

    package init(_ entries: [SiteCode: Int64] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    package subscript(site: SiteCode) -> Int64 {
        get { entries[site] ?? 0 }
        set { entries[site] = newValue > 0 ? newValue : nil }
    }

    /// Whether a change from `origin` with `seq` is covered.
    package func contains(origin: SiteCode, seq: Int64) -> Bool { seq <= self[origin] }

    /// The pointwise maximum.
    package func merged(with other: VersionVector) -> VersionVector {
        VersionVector(entries.merging(other.entries, uniquingKeysWith: max))
    }

    /// Whether every entry of `other` is covered by this vector.
    package func dominates(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.key] >= $0.value }
    }

    /// Origins sorted by code, for stable output.
    package var sortedEntries: [(site: SiteCode, seq: Int64)] {
        entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    package var description: String {
        "{" + sortedEntries.map { "\($0.site):\($0.seq)" }.joined(separator: ",") + "}"
    }

    package init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode([String: Int64].self)
        var entries: [SiteCode: Int64] = [:]
        for (key, value) in raw {
            guard value >= 0 else {
                throw DomainError.invalidValue(field: "vector.\(key)", value: String(value), rule: "must be ≥ 0")
            }
            entries[try SiteCode(key)] = value
        }
        self.init(entries)
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: entries.map { ($0.key.rawValue, $0.value) }))
    }
}
