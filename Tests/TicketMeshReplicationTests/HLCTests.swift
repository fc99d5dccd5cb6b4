import PropertyBased
import Testing
import TicketMeshDomain

@testable import TicketMeshReplication

@Suite struct HLCTests {
    @Test func ticksStayMonotonicWhenTheWallClockGoesBackwards() {
        var clock = HybridLogicalClock()
        var last = HLC.zero
        for wall: Int64 in [1_000, 1_000, 999, 500, 1_001, 1_001, 10, 2_000] {
            let next = clock.tick(wall: wall)
            #expect(next > last, "tick at wall \(wall) went from \(last) to \(next)")
            last = next
        }
        #expect(last == HLC(physical: 2_000, logical: 0))
    }

    @Test func tickFollowsTheWallClockWhenItIsAhead() {
        var clock = HybridLogicalClock(last: HLC(physical: 100, logical: 7))
        #expect(clock.tick(wall: 200) == HLC(physical: 200, logical: 0))
        #expect(clock.tick(wall: 150) == HLC(physical: 200, logical: 1))
    }

    @Test func receiveRuleMakesLaterTicksExceedTheRemoteStamp() {
        var clock = HybridLogicalClock(last: HLC(physical: 100, logical: 0), maxDrift: 10_000)
        let remote = HLC(physical: 5_000, logical: 3)
        clock.observe(remote)
        #expect(clock.tick(wall: 1_000) == HLC(physical: 5_000, logical: 4))
    }

    @Test func blocksStampedBeyondTheBoundAreRefusedNamingOriginAndOffset() throws {
        let clock = HybridLogicalClock(last: .zero, maxDrift: 1_000)
        let origin = SiteCode(trusted: "LT")
        try clock.checkAhead(HLC(physical: 6_000, logical: 9), origin: origin, label: "LT:1-1", wall: 5_000)
        try clock.checkAhead(HLC(physical: 0, logical: 0), origin: origin, label: "LT:1-1", wall: 5_000)
        let error = #expect(throws: ReplicationError.self) {
            try clock.checkAhead(HLC(physical: 6_001, logical: 0), origin: origin, label: "LT:2-3", wall: 5_000)
        }
        #expect(error?.code == .clockSkew)
        #expect(error?.message.contains("block LT:2-3 from LT is stamped 1001 ms ahead") == true)
        // Extreme readings are refused, not trapped on.
        #expect(throws: ReplicationError.self) {
            try clock.checkAhead(HLC(physical: .max, logical: 0), origin: origin, label: "LT:1-1", wall: .min)
        }
        #expect(throws: ReplicationError.self) { try clock.checkSkew(peer: .min, wall: 5_000) }
        #expect(throws: ReplicationError.self) { try clock.checkSkew(peer: .max, wall: -5_000) }
    }

    @Test func olderRemoteStampsDoNotMoveTheClock() {
        var clock = HybridLogicalClock(last: HLC(physical: 9_000, logical: 2))
        clock.observe(HLC(physical: 10, logical: 0))
        #expect(clock.last == HLC(physical: 9_000, logical: 2))
    }

    @Test(arguments: [(Int64(0), true), (300_000, true), (-300_000, true), (300_001, false), (-3_600_000, false)])
    func skewCheckNamesTheSkew(offset: Int64, accepted: Bool) {
        let clock = HybridLogicalClock(maxDrift: 300_000)
        do {
            try clock.checkSkew(peer: 1_000_000_000 + offset, wall: 1_000_000_000)
            #expect(accepted)
        } catch {
            #expect(!accepted)
            #expect(error.code == .clockSkew)
            #expect(error.message.contains("\(offset) ms"))
        }
    }

    @Test func hlcBytesRoundTrip() async {
        let hlcs = zip(Gen.int64(in: 0...Int64.max), Gen.uint32()).map { HLC(physical: $0, logical: $1) }
        await propertyCheck(count: 300, input: hlcs) { hlc in
            #expect(try! HLC(bytes: hlc.bytes) == hlc)
        }
    }

    @Test func hlcOrderIsPhysicalThenLogical() async {
        let hlcs = zip(Gen.int64(in: 0...1_000), Gen.uint32(in: 0...3)).map { HLC(physical: $0, logical: $1) }
        await propertyCheck(count: 300, input: hlcs, hlcs) { a, b in
            #expect((a < b) == ((a.physical, a.logical) < (b.physical, b.logical)))
        }
    }

    @Test func versionTiesBreakOnSiteCode() throws {
        let hlc = HLC(physical: 5, logical: 0)
        #expect(Version(hlc: hlc, site: try SiteCode("AA")) < Version(hlc: hlc, site: try SiteCode("BB")))
        #expect(Version(hlc: HLC(physical: 4, logical: 9), site: try SiteCode("ZZ")) < Version(hlc: hlc, site: try SiteCode("AA")))
    }
}
