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

@Suite struct ChangeSetCodecTests {
    @Test func roundTripsAnySet() async {
        await propertyCheck(count: 200, input: changeGen.array(of: 0...20)) { changes in
            let set = ChangeSet(sender: SiteCode(trusted: "SH"), changes: changes)
            #expect(try! ChangeSet(decoding: set.encoded()) == set)
        }
    }

    @Test func refusesEveryTruncation() throws {
        let changes = (1...5).map {
            Change(
                origin: SiteCode(trusted: "HQ"), seq: Int64($0), hlc: HLC(physical: 1_000 + Int64($0), logical: 0),
                entity: "ticket", rowID: "t1", field: "summary", value: .text("包裹延误 \($0)"), actor: "alice")
        }
        let bytes = ChangeSet(sender: SiteCode(trusted: "HQ"), changes: changes).encoded()
        for length in 0..<bytes.count {
            #expect(throws: ReplicationError.self, "prefix of \(length) bytes was accepted") {
                try ChangeSet(decoding: Array(bytes[0..<length]))
            }
        }
    }

    @Test func refusesRandomBitFlips() async {
        let input = zip(changeGen.array(of: 1...6), Gen.int(in: 0...Int.max), Gen.int(in: 1...4))
        await propertyCheck(count: 300, input: input) { changes, position, flips in
            var bytes = ChangeSet(sender: SiteCode(trusted: "BJ01"), changes: changes).encoded()
            var index = position % bytes.count
            for flip in 0..<flips {
                bytes[index] ^= UInt8(1 << ((position + flip) % 8))
                index = (index + 7 * (flip + 1)) % bytes.count
            }
            // Flips that cancel out leave the set intact; anything else must be refused.
            if bytes != ChangeSet(sender: SiteCode(trusted: "BJ01"), changes: changes).encoded() {
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
