import Foundation
import Testing

@testable import TicketMeshDomain

/// Time-ordered record ids (RFC 9562 version 7), so replica B-trees grow at their end.
@Suite struct RecordIDTests {
  @Test func idsAreVersion7UUIDsThatParse() throws {
    let id = RecordID.make(at: 1_764_300_000_123)
    let parsed = try #require(UUID(uuidString: id))
    #expect(id == parsed.uuidString.lowercased())
    #expect(Array(id)[14] == "7")  // version nibble
    #expect("89ab".contains(Array(id)[19]))  // RFC variant
    #expect(id.hasPrefix("019ac879-8b7b-7"))  // 48-bit big-endian milliseconds 0x019ac8798b7b
  }

  @Test func laterIdsSortLaterWhateverTheirRandomBits() {
    var ids: [String] = []
    for millis in stride(from: Int64(1_700_000_000_000), to: 1_700_000_100_000, by: 997) {
      ids.append(RecordID.make(at: millis, random: (.max, .max)))
      ids.append(RecordID.make(at: millis + 1, random: (0, 0)))
    }
    #expect(ids == ids.sorted())
    #expect(Set(ids).count == ids.count)
  }

  @Test func theSameTimeAndBitsGiveTheSameIdAndRandomBitsDiffer() {
    #expect(RecordID.make(at: 42, random: (1, 2)) == RecordID.make(at: 42, random: (1, 2)))
    #expect(RecordID.make(at: 42) != RecordID.make(at: 42))
  }

  @Test func keywordGroupingComparesStoredBytes() {
    // Grouping like SQL: equal bytes group, and the Chinese pair split still finds 物流.
    #expect(HotIssues.keywords(in: "物流延误 DELAY delay") == ["delay", "延误", "流延", "物流"])
    #expect(ByteKey("物流") == ByteKey("物流"))
    #expect(ByteKey("e\u{301}") != ByteKey("\u{e9}"))  // canonically equal, stored differently
  }
}
