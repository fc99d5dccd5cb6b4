import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

/// Writing the request-type tree (R2.1; issue 16 item 5): admins only, validated, replicated by path.
@Suite struct RequestTypeTests {
    let clock = WorkflowFixture.Clock(WorkflowFixture.start)

    func site(_ code: String) async throws -> ReplicaStore {
        let store = try WorkflowFixture.site(code, clock: clock)
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
        _ = try await store.saveUser(User(name: "li", role: .agent), actor: "root")
        _ = try await store.saveUser(User(name: "wang", role: .supervisor), actor: "root")
        return store
    }

    @Test func anAdminAddsATypeThatTicketsMayThenUse() async throws {
        let store = try await site("HQ")
        #expect(throws: DomainError.self) { try RequestTypeTree.standard.validate("complaint/delivery") }
        let node = try await store.saveRequestType(path: "Complaint/Delivery", label: "Delivery 配送", active: nil, actor: "root")
        #expect(node == .init(path: "complaint/delivery", label: "Delivery 配送", active: true))
        #expect(try await store.requestTypes().validate("complaint/delivery") == "complaint/delivery")
        _ = try await WorkflowFixture.ticket(on: store, type: "complaint/delivery", actor: "li")

        // A label change keeps the state; retiring keeps the label.
        _ = try await store.saveRequestType(path: "complaint/delivery", label: "配送问题", active: nil, actor: "root")
        let retired = try await store.saveRequestType(path: "complaint/delivery", label: nil, active: false, actor: "root")
        #expect(retired == .init(path: "complaint/delivery", label: "配送问题", active: false))
        await #expect(throws: DomainError.self) { try await WorkflowFixture.ticket(on: store, type: "complaint/delivery", actor: "li") }
    }

    @Test func retiringACategoryRetiresItsSubtypesForNewTickets() async throws {
        let store = try await site("HQ")
        _ = try await store.saveRequestType(path: "suggestion", label: nil, active: false, actor: "root")
        let tree = try await store.requestTypes()
        #expect(tree.nodes["suggestion/process"]?.active == true)
        #expect(throws: DomainError.self) { try tree.validate("suggestion/process") }
    }

    @Test func refusalsNameTheFieldAndWriteNothing() async throws {
        let store = try await site("HQ")
        let before = try await store.changeCount()
        for role in ["li", "wang"] {
            let error = await #expect(throws: DomainError.self) {
                try await store.saveRequestType(path: "complaint/delivery", label: "x", active: nil, actor: role)
            }
            #expect(error?.code == .forbidden)
            #expect(error?.message.contains("change the request-type tree") == true)
        }
        let cases: [(String, String?, Bool?, String)] = [
            ("complaint/", "x", nil, "invalid path"), ("a", "x", nil, "invalid path"), ("a/b/c", "x", nil, "invalid path"),
            ("complaint/de livery", "x", nil, "invalid path"), ("billing/refund", "x", nil, "unknown request-type category 'billing'"),
            ("complaint/delivery", nil, nil, "missing label"), ("complaint/service", nil, nil, "give a new label"),
            ("complaint/delivery", "   ", nil, "missing label"),
        ]
        for (path, label, active, message) in cases {
            let error = await #expect(throws: DomainError.self) {
                try await store.saveRequestType(path: path, label: label, active: active, actor: "root")
            }
            #expect(error?.message.contains(message) == true, "\(path): \(error?.message ?? "")")
        }
        #expect(try await store.changeCount() == before)
    }

    @Test func twoSitesAddingTheSameTypeConvergeToOneNode() async throws {
        let hq = try await site("HQ")
        let sh = try WorkflowFixture.site("SH", clock: clock)
        try await WorkflowFixture.sync(hq, sh)
        _ = try await hq.saveRequestType(path: "complaint/delivery", label: "配送", active: nil, actor: "root")
        clock.advance(minutes: 1)
        _ = try await sh.saveRequestType(path: "complaint/delivery", label: "Delivery", active: nil, actor: "root")
        try await WorkflowFixture.sync(hq, sh)
        #expect(try await hq.requestTypes() == (try await sh.requestTypes()))
        #expect(try await hq.requestTypes().nodes["complaint/delivery"]?.label == "Delivery")
        #expect(try await hq.digest() == (try await sh.digest()))
    }
}
