import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

/// Read rights live where write rights do (issue 13 item 3): `disclosure(for:actor:)` checks the
/// role in the store, every read is masked, and a reveal is a replicated, audited record.
@Suite struct ReadRightsTests {
    func staffedSite() async throws -> ReplicaStore {
        let store = try WorkflowFixture.site("SH", clock: WorkflowFixture.Clock(WorkflowFixture.start))
        _ = try await store.addCustomer(
            Customer(id: "C0001", name: "Acme", phone: "13800138000"),
            generateID: false,
            actor: nil
        )
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
        for role in Role.allCases where role != .admin {
            _ = try await store.saveUser(User(name: role.rawValue, role: role), actor: "root")
        }
        return store
    }

    /// Who may read what: the table Docs/workflow.md ("Read rights") documents.
    static let readers: [Permission: Set<Role>] = [
        .viewTickets: Set(Role.allCases),
        .viewReports: [.supervisor, .manager, .analyst, .admin],
        .readAudit: [.supervisor, .manager, .admin],
        .revealContacts: [.supervisor, .manager, .admin],
    ]

    @Test(arguments: Role.allCases)
    func eachRoleReadsWhatItsRoleAllowsMasked(role: Role) async throws {
        let store = try await staffedSite()
        let actor = role == .admin ? "root" : role.rawValue
        for (permission, roles) in Self.readers {
            if roles.contains(role) {
                #expect(try await store.disclosure(for: permission, actor: actor) == .masked, "\(role) \(permission)")
            } else {
                let refused = await #expect(throws: DomainError.self) {
                    try await store.disclosure(for: permission, actor: actor)
                }
                #expect(refused?.code == .forbidden && refused?.message.contains("role \(role.rawValue)") == true)
            }
        }
        await #expect(throws: DomainError.self) { try await store.disclosure(for: .viewTickets, actor: nil) }
        await #expect(throws: DomainError.self) { try await store.disclosure(for: .viewTickets, actor: "ghost") }
    }

    @Test func aRefusedRevealWritesNothingAndAnAllowedOneIsAudited() async throws {
        let store = try await staffedSite()
        let before = try await store.changeCount()
        for name in ["agent", "specialist", "analyst"] {
            await #expect(throws: DomainError.self) { try await store.reveal(.customer("C0001"), actor: name) }
        }
        #expect(try await store.changeCount() == before)
        await #expect(throws: DomainError.self) { try await store.reveal(.customer("C404"), actor: "supervisor") }
        #expect(try await store.changeCount() == before)
        #expect(try await store.reveal(.customer("C0001"), actor: "supervisor") == .revealed)
        let reveals = try await store.reveals(of: "C0001")
        #expect(reveals.count == 1)
        #expect(
            reveals.first?.by == "supervisor" && reveals.first?.site == "SH"
                && reveals.first?.at == WorkflowFixture.start
        )
        let audit = try await store.audit("C0001", actor: "manager")
        #expect(audit.writes.contains { $0.entity == "reveal" && $0.actor == "supervisor" })
        #expect(audit.writes.contains { $0.field == "phone" && $0.value == "*******8000" })
        #expect(try await store.customer("C0001").phone == "13800138000", "the stored value stays intact")
    }

    @Test func openModeReadsAndRevealsAsToday() async throws {
        let store = try WorkflowFixture.site("SH", clock: WorkflowFixture.Clock(WorkflowFixture.start))
        _ = try await store.addCustomer(
            Customer(id: "C0001", name: "Acme", phone: "13800138000"),
            generateID: false,
            actor: nil
        )
        #expect(try await store.disclosure(for: .readAudit, actor: nil) == .masked)
        #expect(try await store.reveal(.customer("C0001"), actor: nil) == .revealed)
        #expect(try await store.reveals(of: "C0001").count == 1)
    }

    @Test func conflictsNeverShowPasswordHashesAndMaskPhones() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let hq = try await staffedSite()
        let branch = try WorkflowFixture.site("BR", clock: clock)
        try await deliverAll(from: hq, to: branch)
        try await hq.setPasswordHash("agent", hash: "$2b$04$hq-hash", actor: "root")
        try await branch.setPasswordHash("agent", hash: "$2b$04$branch-hash", actor: "root")
        _ = try await hq.updateCustomer("C0001", fields: ["phone": "13512345678"], actor: "root")
        _ = try await branch.updateCustomer("C0001", fields: ["phone": "13612345678"], actor: "root")
        try await deliverAll(from: branch, to: hq)
        let raw = try await hq.unresolvedConflicts()
        #expect(raw.contains { $0.field == "passwordHash" } && raw.contains { $0.field == "phone" })
        let shown = try await hq.unresolvedConflicts(actor: "analyst")
        #expect(shown.count == raw.count)
        let text = String(decoding: try JSONEncoder().encode(shown), as: UTF8.self)
        #expect(!text.contains("$2b$") && !text.contains("1351234") && !text.contains("1361234"))
        #expect(shown.contains { $0.field == "passwordHash" && $0.winner.value == Disclosure.withheldMark })
        #expect(shown.contains { $0.field == "phone" && $0.loser.value?.hasSuffix("5678") == true })
    }
}
