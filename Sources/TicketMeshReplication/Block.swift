import Crypto
import Foundation
import TicketMeshDomain

/// A SHA-256 digest: a block's hash, its changes' hash, or one change's leaf hash.
package struct BlockHash: Hashable, Comparable, Sendable, CustomStringConvertible {
    package static let size = 32
    /// The `previous` of an origin's first block.
    package static let zero = BlockHash(unchecked: [UInt8](repeating: 0, count: size))

    package let bytes: [UInt8]

    /// Wraps 32 bytes; nil for any other length.
    package init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.size else { return nil }
        self.bytes = bytes
    }

    /// Wraps bytes known to be 32 long (read back from our own tables).
    package init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    init<D: Digest>(_ digest: D) { bytes = Array(digest) }

    package static func < (lhs: BlockHash, rhs: BlockHash) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// Lowercase hex.
    package var description: String { hex }

    package var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first 12 hex digits, for messages.
    package var short: String { String(hex.prefix(12)) }

    /// SHA-256 of `bytes`.
    package static func of(_ bytes: some DataProtocol) -> BlockHash { BlockHash(SHA256.hash(data: bytes)) }
}

/// One origin's transaction as the unit of provenance: its changes, their place in the origin's
/// hash chain, and the origin's signature (Docs/replication.md, "Blocks").
///
/// `hash` covers the origin, the seq range, the previous block's hash, the changes' hash and the
/// block's HLC; the signature and the attached certificate are outside it, so a relay forwards a
/// block unchanged and an unsigned block can be signed later (`site enroll`) without changing
/// its place in the chain. `changesHash` is SHA-256 over the changes' leaf hashes, so a change
/// scrubbed by a retention purge (`Change.scrubbed`) still proves its block.
package struct Block: Hashable, Sendable {
    /// The most changes in one block; a larger local transaction is cut into chained blocks.
    package static let maxChanges = 1000
    /// Seqs and HLC milliseconds above this are refused (2^53: far past any real count or date).
    package static let maxSeq: Int64 = 1 << 53
    package static let maxPhysical: Int64 = 1 << 53
    /// The largest attached certificate (DER).
    package static let maxCertificateBytes = 16 << 10
    /// The largest signature (a DER or raw ECDSA P-256 signature is at most 72 bytes).
    package static let maxSignatureBytes = 128
    static let hashTag: [UInt8] = Array("TMBK".utf8) + [0, 1]

    package let origin: SiteCode
    package let firstSeq: Int64
    /// The hash of the origin's block that ends at `firstSeq - 1`; `BlockHash.zero` for the first.
    package let previous: BlockHash
    /// The greatest HLC among the changes.
    package let hlc: HLC
    package let changes: [Change]
    package let changesHash: BlockHash
    package let hash: BlockHash
    /// The origin's ECDSA P-256 signature over `hash` (raw form); empty for an unsigned block.
    package var signature: [UInt8]
    /// The DER certificate of the signing key, attached to the first block an origin signs with it.
    package var certificate: [UInt8]
    /// Whether the replica holding this block checked its signature itself (local, not encoded). A
    /// received batch has one signature checked per origin run, its last block's; the hash links
    /// prove the blocks before it, whose own signature fields are not relied on. So a sender ends
    /// every run it sends at a checked block, and a receiver never depends on an unchecked signature.
    package var checked = true

    package var lastSeq: Int64 { firstSeq + Int64(changes.count) - 1 }

    /// Equal blocks carry the same changes in the same place with the same signature and certificate.
    package static func == (lhs: Block, rhs: Block) -> Bool {
        lhs.hash == rhs.hash && lhs.signature == rhs.signature && lhs.certificate == rhs.certificate && lhs.changes == rhs.changes
    }

    package func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    package var isSigned: Bool { !signature.isEmpty }

    /// Builds a block over changes of one origin numbered `firstSeq, firstSeq + 1, …`.
    ///
    /// - Throws: `ReplicationError.malformed` if the changes are empty, too many, of another origin,
    ///   out of sequence or out of range.
    package init(
        previous: BlockHash, changes: [Change], signature: [UInt8] = [], certificate: [UInt8] = []
    ) throws(ReplicationError) {
        guard let first = changes.first else {
            throw ReplicationError(code: .malformed, message: "malformed block: a block holds at least one change")
        }
        guard changes.count <= Self.maxChanges else {
            throw ReplicationError(
                code: .tooLarge, message: "block of \(changes.count) changes exceeds the limit of \(Self.maxChanges)")
        }
        var hlc = first.hlc
        for (index, change) in changes.enumerated() {
            guard change.origin == first.origin, change.seq == first.seq + Int64(index) else {
                throw ReplicationError(
                    code: .malformed,
                    message:
                        "malformed block \(first.origin):\(first.seq): change \(index) is \(change.origin):\(change.seq), expected \(first.origin):\(first.seq + Int64(index))"
                )
            }
            try Self.checkRange(change)
            hlc = max(hlc, change.hlc)
        }
        self.origin = first.origin
        self.firstSeq = first.seq
        self.previous = previous
        self.hlc = hlc
        self.changes = changes
        self.signature = signature
        self.certificate = certificate
        var leaves = [UInt8]()
        leaves.reserveCapacity(changes.count * BlockHash.size)
        var scratch = ByteWriter(capacity: 256)
        for change in changes {
            leaves.append(contentsOf: Self.leaf(of: change, scratch: &scratch).bytes)
        }
        changesHash = BlockHash.of(leaves)
        hash = Self.hash(
            origin: first.origin, firstSeq: first.seq, count: changes.count, previous: previous,
            changesHash: changesHash, hlc: hlc)
    }

    /// The header hash that chains and is signed.
    package static func hash(
        origin: SiteCode, firstSeq: Int64, count: Int, previous: BlockHash, changesHash: BlockHash, hlc: HLC
    ) -> BlockHash {
        var writer = ByteWriter(capacity: 128)
        writer.append(hashTag)
        writer.writeShort(origin.rawValue)
        writer.write(firstSeq)
        writer.write(UInt32(count))
        writer.append(previous.bytes)
        writer.append(changesHash.bytes)
        writer.write(hlc)
        return BlockHash.of(writer.bytes)
    }

    /// A change's leaf hash: SHA-256 of its `ChangeCodec` form, or the hash a purge kept.
    package static func leaf(of change: Change, scratch: inout ByteWriter) -> BlockHash {
        if let scrubbed = change.scrubbed { return scrubbed }
        scratch.removeAll()
        ChangeCodec.encode(change, into: &scratch)
        return BlockHash.of(scratch.bytes)
    }

    /// A change's leaf hash (see `leaf(of:scratch:)`).
    package static func leaf(of change: Change) -> BlockHash {
        var scratch = ByteWriter(capacity: 256)
        return leaf(of: change, scratch: &scratch)
    }

    /// Refuses seqs and clock readings outside what any real site produces, before any arithmetic.
    static func checkRange(_ change: Change) throws(ReplicationError) {
        guard change.seq >= 1, change.seq <= maxSeq else {
            throw ReplicationError(
                code: .malformed, message: "malformed change \(change.origin): seq \(change.seq) is outside 1…2^53")
        }
        guard change.hlc.physical >= 0, change.hlc.physical <= maxPhysical else {
            throw ReplicationError(
                code: .malformed,
                message: "malformed change \(change.origin):\(change.seq): HLC \(change.hlc.physical) ms is outside 0…2^53")
        }
        if let base = change.base, base.hlc.physical < 0 || base.hlc.physical > maxPhysical {
            throw ReplicationError(
                code: .malformed,
                message: "malformed change \(change.origin):\(change.seq): base HLC \(base.hlc.physical) ms is outside 0…2^53")
        }
    }

    /// `ORIGIN:FIRST-LAST`, for messages.
    package var label: String { "\(origin):\(firstSeq)-\(lastSeq)" }

    /// Whether `signature` is the origin's signature over `hash` by `key`.
    package func isSigned(by key: P256.Signing.PublicKey) -> Bool {
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
        return key.isValidSignature(signature, for: hash.bytes)
    }

    /// Which of two different blocks at the same place in an origin's chain every site keeps.
    ///
    /// The earlier one wins: smaller HLC, then smaller hash. Every site that sees both decides the
    /// same, whatever order they arrived in, so a fork that reached several sites still converges.
    /// The earlier block is the one written first by the origin's clock: for a site restored from a
    /// backup, the history the organisation already held.
    package static func forkWinner(_ a: Block, _ b: Block) -> Block {
        (a.hlc, a.hash) < (b.hlc, b.hash) ? a : b
    }
}

/// The binary form of a block in change-set files and sync batches.
///
/// Layout: origin (u8 + UTF-8), first seq u64, change count u32, previous hash (32), HLC (12),
/// signature (u8 len + bytes), certificate (u16 len + DER), then each change as u32 length +
/// `ChangeCodec` bytes. The hashes are recomputed on decoding, never read.
package enum BlockCodec {
    /// The smallest encoding of a block (one minimal change).
    package static let minEncodedSize = 3 + 8 + 4 + 32 + 12 + 1 + 2 + 4 + ChangeCodec.minEncodedSize

    package static func encode(_ block: Block, into writer: inout ByteWriter) {
        writer.writeShort(block.origin.rawValue)
        writer.write(UInt64(block.firstSeq))
        writer.write(UInt32(block.changes.count))
        writer.append(block.previous.bytes)
        writer.write(block.hlc)
        writer.write(UInt8(block.signature.count))
        writer.append(block.signature)
        writer.write(UInt16(block.certificate.count))
        writer.append(block.certificate)
        var inner = ByteWriter(capacity: 256)
        for change in block.changes {
            inner.removeAll()
            ChangeCodec.encode(change, into: &inner)
            writer.write(UInt32(inner.bytes.count))
            writer.append(inner.bytes)
        }
    }

    /// The bytes `block` takes encoded; used to cut batches at a byte budget.
    package static func encodedSize(of block: Block) -> Int {
        var size = 1 + block.origin.rawValue.utf8.count + 8 + 4 + 32 + 12 + 1 + block.signature.count + 2
        size += block.certificate.count
        for change in block.changes { size += 4 + ChangeCodec.encodedSize(of: change) }
        return size
    }

    /// Decodes one block, checking every bound before allocating and every change against the header.
    ///
    /// - Throws: `ReplicationError` (`.truncated`, `.malformed`, `.tooLarge`); never traps.
    package static func decode(from reader: inout ByteReader) throws(ReplicationError) -> Block {
        let origin = try reader.readSite(field: "block origin")
        let rawFirst = try reader.read(UInt64.self)
        guard rawFirst >= 1, rawFirst <= UInt64(Block.maxSeq) else {
            throw ReplicationError(code: .malformed, message: "malformed block \(origin): first seq \(rawFirst) is outside 1…2^53")
        }
        let count = Int(try reader.read(UInt32.self))
        guard count >= 1, count <= Block.maxChanges else {
            throw ReplicationError(
                code: .malformed, message: "malformed block \(origin):\(rawFirst): \(count) changes is outside 1…\(Block.maxChanges)")
        }
        guard count <= reader.remaining / (4 + ChangeCodec.minEncodedSize) else {
            throw ReplicationError(
                code: .truncated, message: "truncated block \(origin):\(rawFirst): \(count) changes do not fit in \(reader.remaining) bytes")
        }
        let previous = BlockHash(unchecked: Array(try reader.readBytes(BlockHash.size)))
        let hlc = try reader.readHLC()
        let signatureLength = Int(try reader.read(UInt8.self))
        guard signatureLength <= Block.maxSignatureBytes else {
            throw ReplicationError(code: .tooLarge, message: "block \(origin):\(rawFirst): signature of \(signatureLength) bytes is too long")
        }
        let signature = Array(try reader.readBytes(signatureLength))
        let certificateLength = Int(try reader.read(UInt16.self))
        guard certificateLength <= Block.maxCertificateBytes else {
            throw ReplicationError(
                code: .tooLarge, message: "block \(origin):\(rawFirst): certificate of \(certificateLength) bytes exceeds \(Block.maxCertificateBytes)")
        }
        let certificate = Array(try reader.readBytes(certificateLength))
        var changes: [Change] = []
        changes.reserveCapacity(count)
        for index in 0..<count {
            let length = Int(try reader.read(UInt32.self))
            guard length <= ChangeSet.maxChangeBytes else {
                throw ReplicationError(code: .tooLarge, message: "change \(index) of \(length) bytes exceeds the limit of \(ChangeSet.maxChangeBytes)")
            }
            var inner = ByteReader(Array(try reader.readBytes(length)))
            let change = try ChangeCodec.decode(from: &inner)
            try inner.expectEnd()
            changes.append(change)
        }
        guard changes[0].origin == origin, changes[0].seq == Int64(rawFirst) else {
            throw ReplicationError(
                code: .malformed,
                message: "malformed block \(origin):\(rawFirst): its first change is \(changes[0].origin):\(changes[0].seq)")
        }
        let block = try Block(previous: previous, changes: changes, signature: signature, certificate: certificate)
        guard block.hlc == hlc else {
            throw ReplicationError(
                code: .malformed, message: "malformed block \(block.label): header HLC \(hlc) is not its changes' greatest HLC \(block.hlc)")
        }
        return block
    }
}

/// Signs the blocks of this site's local transactions.
package protocol BlockSigner: Sendable {
    /// The site whose key this is.
    var site: SiteCode { get }
    /// The DER certificate of the key, attached to the first block signed with it.
    var certificate: [UInt8] { get }
    /// The public key, to check our own blocks when they come back.
    var publicKey: P256.Signing.PublicKey { get }
    /// A raw ECDSA P-256 signature over `hash`.
    func sign(_ hash: BlockHash) throws -> [UInt8]
}

/// A `BlockSigner` over a P-256 private key held in memory.
package struct P256BlockSigner: BlockSigner {
    package let site: SiteCode
    package let certificate: [UInt8]
    /// The key's raw scalar (swift-crypto's key types are not `Sendable`).
    let rawKey: [UInt8]
    let rawPublicKey: [UInt8]

    package init(site: SiteCode, key: P256.Signing.PrivateKey, certificate: [UInt8]) {
        self.site = site
        self.rawKey = Array(key.rawRepresentation)
        self.rawPublicKey = Array(key.publicKey.x963Representation)
        self.certificate = certificate
    }

    package var publicKey: P256.Signing.PublicKey {
        // Made from our own key's bytes, so it always parses.
        try! P256.Signing.PublicKey(x963Representation: rawPublicKey)
    }

    package func sign(_ hash: BlockHash) throws -> [UInt8] {
        let key = try P256.Signing.PrivateKey(rawRepresentation: rawKey)
        return Array(try key.signature(for: hash.bytes).rawRepresentation)
    }
}

/// A signing key the organisation certified for a site, with what the certificate grants.
package struct CertifiedKey: Sendable {
    /// The certified public key, X9.63 (swift-crypto's key types are not `Sendable`).
    package let keyBytes: [UInt8]
    /// The certificate's serial number, lowercase hex (as revocation records name it).
    package var serial: String
    /// Whether the certificate makes its site an admin site: one whose blocks may write the
    /// organisation's configuration (users, SLA policies, settings, purges; `SiteRights`).
    package var admin: Bool

    package init(key: P256.Signing.PublicKey, serial: String, admin: Bool) {
        self.keyBytes = Array(key.x963Representation)
        self.serial = serial
        self.admin = admin
    }

    /// The certified public key.
    package var key: P256.Signing.PublicKey {
        // Made from a key's own bytes, so it always parses.
        try! P256.Signing.PublicKey(x963Representation: keyBytes)
    }
}

/// A revocation record verified as the organisation CA's: from `time` on, blocks signed with
/// the certificate `serial` of `site` are refused, and so are its connections.
package struct Revocation: Hashable, Sendable {
    package var site: SiteCode
    package var serial: String
    /// Milliseconds since 1970, comparable with a block's HLC.
    package var time: Int64

    package init(site: SiteCode, serial: String, time: Int64) {
        self.site = site
        self.serial = serial
        self.time = time
    }
}

/// Decides whether a certificate attached to a block may sign for its origin, and whether a
/// revocation record is the organisation CA's.
package protocol CertificateTrust: Sendable {
    /// The certificate's key, serial and role, if it was issued by the organisation CA to
    /// `origin` and was valid at `time` (the block's HLC).
    ///
    /// - Throws: naming what failed.
    func signingKey(certificate: [UInt8], origin: SiteCode, at time: Date) throws -> CertifiedKey

    /// The revocation a record states, if the organisation CA signed it.
    ///
    /// - Throws: naming what failed (not a record, not signed by the CA).
    func revocation(record: String) throws -> Revocation
}

/// What a replica that belongs to an organisation needs: its own signer and the CA's rule.
package struct Provenance: Sendable {
    package var signer: any BlockSigner
    package var trust: any CertificateTrust

    package init(signer: any BlockSigner, trust: any CertificateTrust) {
        self.signer = signer
        self.trust = trust
    }
}
