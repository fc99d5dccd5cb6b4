import Foundation
import Testing
import TicketMeshDomain

@testable import TicketMeshReplication

@Suite struct VersionVectorTests {
    let hq = SiteCode(trusted: "HQ")
    let sh = SiteCode(trusted: "SH")

    @Test func mergeIsPointwiseMaximum() {
        let a = VersionVector([hq: 5, sh: 1])
        let b = VersionVector([hq: 2, sh: 9])
        #expect(a.merged(with: b) == VersionVector([hq: 5, sh: 9]))
        #expect(a.merged(with: b).dominates(a))
        #expect(!a.dominates(b))
    }

    @Test func jsonRoundTripAndValidation() throws {
        let vector = VersionVector([hq: 12, sh: 3])
        let data = try JSONEncoder().encode(vector)
        #expect(try JSONDecoder().decode(VersionVector.self, from: data) == vector)
        #expect(throws: DomainError.self) { try JSONDecoder().decode(VersionVector.self, from: Data(#"{"hq": 1}"#.utf8)) }
        #expect(throws: DomainError.self) { try JSONDecoder().decode(VersionVector.self, from: Data(#"{"HQ": -1}"#.utf8)) }
    }
}
