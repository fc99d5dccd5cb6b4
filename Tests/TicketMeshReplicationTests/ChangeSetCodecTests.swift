import PropertyBased
import Testing
import TicketMeshDomain

@testable import TicketMeshReplication

/// Random changes covering every value kind, bases and actors, with Chinese text.
let changeGen: Generator<Change, some SendableSequenceType> = zip(
    Gen.int(in: 0...2), Gen.int64(in: 1...1_000_000), Gen.int64(in: 0...4_000_000_000_000), Gen.uint32(),
    Gen.int(in: 0...3), Gen.letterOrNumber.string(of: 0...40), Gen.bool, Gen.int64()
).map { site, seq, physical, logical, kind, text, hasBase, number in
    let sites = ["HQ", "SH", "BJ01"]
    let value: FieldValue =
        switch kind {
        case 0: .null
        case 1: .int(number)
        case 2: .text(text)
        default: .text("物流延误 " + text)
        }
    return Change(
        origin: SiteCode(trusted: sites[site]), seq: seq, hlc: HLC(physical: physical, logical: logical),
        entity: kind == 3 ? "entry" : "ticket", rowID: "row-\(seq % 7)", field: "f\(kind)", value: value,
        base: hasBase ? Version(hlc: HLC(physical: physical / 2, logical: 0), site: SiteCode(trusted: sites[(site + 1) % 3])) : nil,
        actor: text.isEmpty ? nil : "user-\(text.prefix(8))")
}

/// Changes renumbered into one origin's consecutive seqs from `first`, as a block holds them.
func chained(_ changes: [Change], origin: String = "SH", first: Int64 = 1) -> [Change] {
    changes.enumerated().map { index, change in
        var change = change
        change.origin = SiteCode(trusted: origin)
        change.seq = first + Int64(index)
        return change
    }
}

/// Blocks over random changes: up to three origins, each a chain of up to three blocks.
func blocks(_ changes: [Change]) throws -> [Block] {
    var result: [Block] = []
    for (index, origin) in ["HQ", "SH", "BJ01"].enumerated() {
        let mine = changes.enumerated().filter { $0.offset % 3 == index }.map(\.element)
        var previous = BlockHash.zero
        var seq: Int64 = 1
        for part in stride(from: 0, to: mine.count, by: 3).map({ Array(mine[$0..<min($0 + 3, mine.count)]) }) {
            let block = try Block(previous: previous, changes: chained(part, origin: origin, first: seq))
            result.append(block)
            previous = block.hash
            seq += Int64(part.count)
        }
    }
    return result
}

@Suite struct ChangeSetCodecTests {
    @Test func roundTripsAnySet() async {
        await propertyCheck(count: 200, input: changeGen.array(of: 0...20)) { changes in
            do {
                let set = ChangeSet(sender: SiteCode(trusted: "SH"), blocks: try blocks(changes))
                let decoded = try ChangeSet(decoding: set.encoded())
                #expect(decoded == set)
                #expect(decoded.blocks.map(\.hash) == set.blocks.map(\.hash))
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func refusesEveryTruncation() throws {
        let changes = (1...5).map {
            Change(
                origin: SiteCode(trusted: "HQ"), seq: Int64($0), hlc: HLC(physical: 1_000 + Int64($0), logical: 0),
                entity: "ticket", rowID: "t1", field: "summary", value: .text("包裹延误 \($0)"), actor: "alice")
        }
        let bytes = ChangeSet(sender: SiteCode(trusted: "HQ"), blocks: [try Block(previous: .zero, changes: changes)]).encoded()
        for length in 0..<bytes.count {
            #expect(throws: ReplicationError.self, "prefix of \(length) bytes was accepted") {
                try ChangeSet(decoding: Array(bytes[0..<length]))
            }
        }
    }

    @Test func refusesRandomBitFlips() async {
        let input = zip(changeGen.array(of: 1...6), Gen.int(in: 0...Int.max), Gen.int(in: 1...4))
        await propertyCheck(count: 300, input: input) { changes, position, flips in
            guard let original = try? ChangeSet(sender: SiteCode(trusted: "BJ01"), blocks: blocks(changes)).encoded() else {
                Issue.record("fixture blocks did not build")
                return
            }
            var bytes = original
            var index = position % bytes.count
            for flip in 0..<flips {
                bytes[index] ^= UInt8(1 << ((position + flip) % 8))
                index = (index + 7 * (flip + 1)) % bytes.count
            }
            // Flips that cancel out leave the set intact; anything else must be refused.
            if bytes != original {
                #expect(throws: ReplicationError.self) { try ChangeSet(decoding: bytes) }
            }
        }
    }

    @Test func decodesAChangeOnlyWhenEveryByteIsThere() throws {
        var writer = ByteWriter()
        let change = Change(
            origin: SiteCode(trusted: "SH"), seq: 42, hlc: HLC(physical: 7, logical: 1), entity: "entry", rowID: "e1",
            field: "body", value: .text("已联系快递"), base: Version(hlc: HLC(physical: 6, logical: 0), site: SiteCode(trusted: "HQ")),
            actor: "bob")
        ChangeCodec.encode(change, into: &writer)
        for length in 0..<writer.bytes.count {
            var reader = ByteReader(Array(writer.bytes[0..<length]))
            #expect(throws: ReplicationError.self) { try ChangeCodec.decode(from: &reader) }
        }
        var reader = ByteReader(writer.bytes)
        #expect(try ChangeCodec.decode(from: &reader) == change)
    }

    @Test func refusesAHugeCountWithoutAllocatingIt() throws {
        var writer = ByteWriter()
        writer.append(Array("TMCS".utf8))
        writer.write(ChangeSet.formatVersion)
        writer.writeShort("HQ")
        writer.write(UInt32.max)
        let body = writer.bytes
        let bytes = body + ChangeSet.checksum(body[...])
        let error = #expect(throws: ReplicationError.self) { try ChangeSet(decoding: bytes) }
        #expect(error?.code == .malformed)
    }

    @Test func refusesTheUnsignedFormatOfEarlierBuilds() throws {
        var writer = ByteWriter()
        writer.append(Array("TMCS".utf8))
        writer.write(UInt16(1))
        writer.writeShort("HQ")
        writer.write(UInt32(0))
        let bytes = writer.bytes + ChangeSet.checksum(writer.bytes[...])
        let error = #expect(throws: ReplicationError.self) { try ChangeSet(decoding: bytes) }
        #expect(error?.message.contains("unsupported change-set format 1") == true)
    }

    @Test func refusesAnUnknownFormatVersion() throws {
        var writer = ByteWriter()
        writer.append(Array("TMCS".utf8))
        writer.write(UInt16(99))
        writer.writeShort("HQ")
        writer.write(UInt32(0))
        let bytes = writer.bytes + ChangeSet.checksum(writer.bytes[...])
        let error = #expect(throws: ReplicationError.self) { try ChangeSet(decoding: bytes) }
        #expect(error?.message.contains("format 99") == true)
    }
}
