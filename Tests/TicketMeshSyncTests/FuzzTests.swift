import Foundation
import NIOCore
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore
import TicketMeshSync

/// Hostile input (issue "Integrity", item 4): at least 100,000 random and mutated frames, change-set
/// files and handshakes go to the decoders, the handshake check and apply. None may trap; a refused
/// apply changes nothing.
struct FuzzTests {
    /// Seeded (the store's SplitMix64), so a failure can be replayed.
    typealias Random = SplitMix

    /// One of the ways a byte string is damaged: flips, overwrites with extreme integers, cuts, splices.
    static func mutate(_ input: [UInt8], _ rng: inout Random) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { return [UInt8.random(in: 0...255, using: &rng)] }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1:
                // An extreme length, count, seq or clock value written over whatever is there.
                let extreme: [UInt8] = [
                    [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x80, 0, 0, 0, 0, 0, 0, 0],
                    [0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                ].randomElement(using: &rng)!
                for (offset, byte) in extreme.enumerated() where at + offset < bytes.count { bytes[at + offset] = byte }
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng)))
            case 3: bytes.insert(contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 4: bytes = Array(bytes[..<at])
            case 5:
                let from = Int.random(in: 0..<bytes.count, using: &rng)
                bytes.insert(contentsOf: bytes[from..<min(bytes.count, from + 32)], at: at)
            default: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            }
        }
        return bytes
    }

    /// A change set with its checksum made right again, so damage reaches the block decoder and apply.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count > 32 else { return bytes }
        let body = Array(bytes.dropLast(32))
        return body + ChangeSet.checksum(body[...])
    }

    @Test func decodersHandshakeAndApplySurviveHundredThousandHostileInputs() async throws {
        let pki = try FuzzIdentities()
        let origin = try ReplicaStore.inMemory(site: SiteCode("SH"), configuration: .init(provenance: pki.sh))
        for index in 0..<12 {
            try await origin.commit(
                [
                    FieldEdit(entity: "ticket", rowID: "t\(index % 3)", field: "summary", value: .text("物流 \(index)")),
                    FieldEdit(entity: "ticket", rowID: "t\(index % 3)", field: "tier", value: .int(Int64(index))),
                    // A policy with absurd minutes and a ticket it applies to: apply must not overflow a clock.
                    FieldEdit(entity: "slaPolicy", rowID: "standard", field: "firstResponse.urgent", value: .int(.max - Int64(index))),
                    FieldEdit(entity: "slaPolicy", rowID: "standard", field: "accept", value: .int(.min + Int64(index))),
                    FieldEdit(entity: "ticket", rowID: "t\(index % 3)", field: "urgency", value: .text("urgent")),
                    FieldEdit(entity: "ticket", rowID: "t\(index % 3)", field: "type", value: .text("complaint/product")),
                    FieldEdit(entity: "ticket", rowID: "t\(index % 3)", field: "state", value: .text("new")),
                    FieldEdit(entity: "ticket", rowID: "t\(index % 3)", field: "receivedAt", value: .int(Int64(index) * 7_919_000_000)),
                ], actor: "li")
        }
        let blocks = try await origin.blocks(after: ChainHeads(), cursor: nil, limit: .max)
        let file = ChangeSet(sender: origin.site, blocks: blocks).encoded()
        let hello = Frame.hello(Hello(site: origin.site, now: HLC(physical: 1_800_000_000_000, logical: 0), heads: try await origin.heads()))
        let seeds: [[UInt8]] = [
            Array(hello.encoded().readableBytesView.dropFirst(4)),
            Array(Frame.batch(Batch(number: 1, blocks: Array(blocks.prefix(4)))).encoded().readableBytesView.dropFirst(4)),
            Array(Frame.ack(Ack(number: 1, applied: 3, duplicates: 0, refused: 0)).encoded().readableBytesView.dropFirst(4)),
            Array(Frame.refuse("no").encoded().readableBytesView.dropFirst(4)),
        ]
        let target = try ReplicaStore.inMemory(site: SiteCode("HQ"), configuration: .init(provenance: pki.hq))
        let digest = try await target.digest()
        var rng = Random(state: 0x5EED_1234)
        var counts = (frames: 0, files: 0, hellos: 0, applied: 0, refusedWhole: 0)
        for round in 0..<100_000 {
            let useFile = round % 2 == 0
            let input: [UInt8]
            if round % 10 == 9 {
                input = (0..<Int.random(in: 0...256, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                input = Self.mutate(useFile ? file : seeds[round % seeds.count], &rng)
            }
            if useFile {
                counts.files += 1
                let candidate = round % 4 == 0 ? Self.resealed(input) : input
                guard let set = try? ChangeSet(decoding: candidate) else { continue }
                // It decoded: apply it; either all of it or nothing.
                let before = try await target.digest()
                let changesBefore = try await target.changeCount()
                do {
                    _ = try await target.apply(set.blocks)
                    counts.applied += 1
                } catch {
                    counts.refusedWhole += 1
                    #expect(try await target.digest() == before, "a refused apply changed the replica (round \(round))")
                    #expect(try await target.changeCount() == changesBefore)
                }
            } else {
                counts.frames += 1
                guard let frame = try? Frame(decoding: ByteBuffer(bytes: input)) else { continue }
                if case .hello(let decoded) = frame {
                    counts.hellos += 1
                    for wall: Int64 in [0, 1_800_000_000_000, .max, .min] {
                        _ = try? HelloCheck.validate(decoded, certifiedSite: decoded.site, localSite: target.site, wall: wall, maxSkew: 300_000)
                    }
                }
                if case .batch(let batch) = frame {
                    var state = InboundState()
                    if let received = try? state.receive(batch) {
                        do { _ = try await target.apply(received) } catch {}
                    }
                }
            }
        }
        #expect(counts.files + counts.frames == 100_000)
        // The replica only ever holds genuine blocks of SH (damaged ones never verify).
        let integrity = try await target.verifyIntegrity()
        #expect(integrity.problems.isEmpty, "\(integrity.problems.map(\.message))")
        let held = Set(try await target.blocks(after: ChainHeads(), cursor: nil, limit: .max).map(\.hash))
        #expect(held.isSubset(of: Set(blocks.map(\.hash))))
        if held.isEmpty { #expect(try await target.digest() == digest) }
    }
}

/// Two sites of one throwaway organisation.
struct FuzzIdentities {
    let sh: Provenance
    let hq: Provenance

    init() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tm-fuzz-\(UUID().uuidString)")
        let ca = try CertificateAuthority.create(organization: "Fuzz", directory: root.appendingPathComponent("ca"))
        // An admin site, so its absurd SLA policy is merged where it arrives (a branch's would be denied).
        try ca.writeSite(try SiteCode("SH"), to: root.appendingPathComponent("sh"), admin: true)
        try ca.writeSite(try SiteCode("HQ"), to: root.appendingPathComponent("hq"))
        sh = try SiteIdentity.load(directory: root.appendingPathComponent("sh")).provenance()
        hq = try SiteIdentity.load(directory: root.appendingPathComponent("hq")).provenance()
    }
}
