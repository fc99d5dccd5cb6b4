import Crypto
import Foundation
import Synchronization
import TicketMeshDomain
import TicketMeshReplication

@testable import TicketMeshStore

/// A wall clock the test moves by hand; may go backwards.
final class ManualClock: Sendable {
    private let millis: Mutex<Int64>

    init(_ start: Int64 = 1_795_000_000_000) { millis = Mutex(start) }

    var now: Int64 { millis.withLock { $0 } }
    func advance(_ delta: Int64) { millis.withLock { $0 += delta } }
    func set(_ value: Int64) { millis.withLock { $0 = value } }

    var configuration: ReplicaStore.Configuration {
        ReplicaStore.Configuration(now: { self.now }, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
    }
}

/// SplitMix64: a small seeded generator so a failing schedule can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Sends `to` every block `from` has that `to`'s heads do not cover, in one batch, then lets `to` settle.
@discardableResult
func deliverAll(from: ReplicaStore, to: ReplicaStore) async throws -> ApplyReport {
    let missing = try await from.blocks(after: try await to.heads(), cursor: nil, limit: Int.max)
    var report = try await to.apply(missing)
    // As a sync session ends: the fork proofs of the receiver's own origin.
    let proofs = try await from.proofs(of: to.site)
    if !proofs.isEmpty { report.refused += try await to.apply(proofs).refused }
    // And the values of changes the receiver holds blank, as its hello asks.
    let refills = try await from.blocks(refilling: try await to.blankChanges(limit: 1000))
    if !refills.isEmpty { report.refilled += try await to.apply(refills).refilled }
    try await to.settle()
    return report
}

/// Partial, shuffled, duplicated delivery in random batches, as an unreliable link between two
/// peers makes it: per origin a prefix of the chain (a peer sends in chain order), shuffled, a few
/// blocks twice. A batch that starts past what the target holds is refused whole (a gap) and
/// counts as not delivered, to be resent later.
///
/// - Returns: the blocks of the batches the target accepted.
@discardableResult
func deliverPartially(from: ReplicaStore, to: ReplicaStore, using rng: inout SeededGenerator) async throws -> [Block] {
    let all = try await allBlocks(from)
    var pending: [Block] = []
    for origin in Set(all.map(\.origin)).sorted() {
        let chain = all.filter { $0.origin == origin }
        pending += chain.prefix(Int.random(in: 0...chain.count, using: &rng))
    }
    pending.shuffle(using: &rng)
    pending += pending.prefix(Int.random(in: 0...3, using: &rng))
    var delivered: [Block] = []
    while !pending.isEmpty {
        let size = Int.random(in: 1...max(1, pending.count), using: &rng)
        let batch = Array(pending.prefix(size))
        pending.removeFirst(size)
        do {
            _ = try await to.apply(batch)
            delivered += batch
        } catch let error as ReplicationError where error.code == .gap {
            continue
        }
    }
    try await to.settle()
    return delivered
}

/// Every block a store holds, in (origin, seq) order.
func allBlocks(_ store: ReplicaStore) async throws -> [Block] {
    try await store.blocks(after: ChainHeads(), cursor: nil, limit: Int.max)
}

/// A test organisation without X.509: a CA key, and per site a "certificate" that is the site
/// code, a role byte and the public key, signed by it. The store sees it only through
/// `CertificateTrust`, as it sees the real CA (the X.509 rule has its own tests in the sync module).
///
/// Every site is an admin site unless named in `branches`.
final class TestOrganisation: Sendable {
    let caKey = Array(P256.Signing.PrivateKey().rawRepresentation)
    let branches: Set<String>
    private let keys = Mutex<[String: [UInt8]]>([:])

    init(branches: Set<String> = []) { self.branches = branches }

    var trust: TestTrust { TestTrust(caPublic: Array(try! P256.Signing.PrivateKey(rawRepresentation: caKey).publicKey.x963Representation)) }

    /// The site's signer (one key per site code, made on first use) with this organisation's trust.
    func provenance(_ site: String) throws -> Provenance {
        let key = try P256.Signing.PrivateKey(rawRepresentation: rawKey(site))
        return Provenance(signer: P256BlockSigner(site: SiteCode(trusted: site), key: key, certificate: try certificate(site: site, key: key.publicKey)), trust: trust)
    }

    /// A second key of `site` (a re-issued certificate), with the given role.
    func renewedProvenance(_ site: String, admin: Bool) throws -> Provenance {
        let key = P256.Signing.PrivateKey()
        return Provenance(
            signer: P256BlockSigner(site: SiteCode(trusted: site), key: key, certificate: try certificate(site: site, key: key.publicKey, admin: admin)),
            trust: trust)
    }

    private func rawKey(_ site: String) -> [UInt8] {
        keys.withLock { keys in
            if let raw = keys[site] { return raw }
            let raw = Array(P256.Signing.PrivateKey().rawRepresentation)
            keys[site] = raw
            return raw
        }
    }

    /// A certificate for any key, as a rogue CA holder could make: for tests of forged signers.
    func certificate(site: String, key: P256.Signing.PublicKey, admin: Bool? = nil) throws -> [UInt8] {
        let body = Array(site.utf8) + [0, (admin ?? !branches.contains(site)) ? 1 : 0] + Array(key.x963Representation)
        let signature = try P256.Signing.PrivateKey(rawRepresentation: caKey).signature(for: body)
        return body + Array(signature.rawRepresentation)
    }

    /// The serial `TestTrust` gives the certificate of `site`'s first key.
    func serial(_ site: String) throws -> String {
        try trust.signingKey(certificate: try provenance(site).signer.certificate, origin: SiteCode(trusted: site), at: Date()).serial
    }

    /// A revocation record of the certificate `serial` of `site` at `time` (ms), signed by this CA
    /// (or, with `forged`, by some other key).
    func revocation(site: String, serial: String, at time: Int64, forged: Bool = false) throws -> String {
        let message = "\(site) \(serial) \(time)"
        let key = forged ? P256.Signing.PrivateKey() : try P256.Signing.PrivateKey(rawRepresentation: caKey)
        return message + " " + (try key.signature(for: Data(message.utf8))).rawRepresentation.base64EncodedString()
    }

    func configuration(_ site: String, clock: ManualClock) throws -> ReplicaStore.Configuration {
        var configuration = clock.configuration
        configuration.provenance = try provenance(site)
        return configuration
    }
}

struct TestTrust: CertificateTrust {
    struct Refused: Error, CustomStringConvertible { var description: String }
    let caPublic: [UInt8]

    func signingKey(certificate: [UInt8], origin: SiteCode, at time: Date) throws -> CertifiedKey {
        guard certificate.count > 64 + 66, let zero = certificate.firstIndex(of: 0) else { throw Refused(description: "not a test certificate") }
        let body = Array(certificate.dropLast(64))
        let ca = try P256.Signing.PublicKey(x963Representation: caPublic)
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: certificate.suffix(64)), ca.isValidSignature(signature, for: body)
        else { throw Refused(description: "not signed by the test CA") }
        guard String(decoding: certificate[..<zero], as: UTF8.self) == origin.rawValue else {
            throw Refused(description: "names another site than \(origin)")
        }
        let serial = SHA256.hash(data: body).prefix(8).map { String(format: "%02x", $0) }.joined()
        return CertifiedKey(
            key: try P256.Signing.PublicKey(x963Representation: body[(zero + 2)...]), serial: serial, admin: body[zero + 1] == 1)
    }

    func revocation(record: String) throws -> Revocation {
        let parts = record.split(separator: " ").map(String.init)
        guard parts.count == 4, let time = Int64(parts[2]), let raw = Data(base64Encoded: parts[3]),
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: raw),
            try P256.Signing.PublicKey(x963Representation: caPublic).isValidSignature(signature, for: Data(parts[0..<3].joined(separator: " ").utf8))
        else { throw Refused(description: "not a revocation signed by the test CA") }
        return Revocation(site: try SiteCode(parts[0]), serial: parts[1], time: time)
    }
}

func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tm-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
