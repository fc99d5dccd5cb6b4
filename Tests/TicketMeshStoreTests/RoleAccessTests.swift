import Foundation
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

@Suite struct RoleAccessTests {
    /// A site with an admin and one user of every role, and a ticket that is resolved.
    func staffedSite() async throws -> (ReplicaStore, WorkflowFixture.Clock) {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let store = try WorkflowFixture.site("SH", clock: clock)
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)
        for role in Role.allCases where role != .admin {
            _ = try await store.saveUser(User(name: role.rawValue, role: role), actor: "root")
        }
        return (store, clock)
    }

    @Test func openModeAllowsEverythingUntilTheFirstUser() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let store = try WorkflowFixture.site("SH", clock: clock)
        #expect(try await store.hasUsers() == false)
        let ticket = try await WorkflowFixture.ticket(on: store)
        _ = try await store.addEntry(ticket.id, kind: .note, body: "no users yet", actor: nil)

        let refused = await #expect(throws: DomainError.self) {
            try await store.saveUser(User(name: "li", role: .agent), actor: nil)
        }
        #expect(refused?.code == .forbidden && refused?.message.contains("first user must be an admin") == true)
        _ = try await store.saveUser(User(name: "root", role: .admin), actor: nil)

        let anonymous = await #expect(throws: DomainError.self) { try await store.addEntry(ticket.id, kind: .note, body: "x", actor: nil) }
        #expect(anonymous?.code == .forbidden && anonymous?.message.contains("--as USER") == true)
        let stranger = await #expect(throws: DomainError.self) { try await store.addEntry(ticket.id, kind: .note, body: "x", actor: "ghost") }
        #expect(stranger?.code == .forbidden && stranger?.message.contains("'ghost'") == true)
    }

    /// Issue 18 item 17: the raw field-write path skips every command's rules, so once a site
    /// has users only an admin may use it; nothing is written on a refusal.
    @Test func rawFieldWritesNeedTheAdminRoleOnceTheSiteHasUsers() async throws {
        let (store, _) = try await staffedSite()
        let ticket = try await WorkflowFixture.ticket(on: store, actor: "root")
        let edit = FieldEdit(entity: "ticket", rowID: ticket.id, field: "state", value: .text("closed"))
        for role in Role.allCases where role != .admin {
            let refused = await #expect(throws: DomainError.self) { try await store.commit([edit], actor: role.rawValue) }
            #expect(refused?.code == .forbidden && refused?.message.contains("load sample data") == true, "\(role)")
        }
        await #expect(throws: DomainError.self) { try await store.commit([edit], actor: nil) }
        #expect(try await store.ticket(ticket.id).state != "closed")
        try await store.commit([edit], actor: "root")
        #expect(try await store.ticket(ticket.id).state == "closed")
    }

    enum Command: String, CaseIterable, Sendable {
        case createTicket, note, escalate, accept, resolve, reopen, approve, rate, exception, setSLA, addUser, resolveConflictNone
    }

    static let allowed: [Role: Set<Command>] = [
        .agent: [.createTicket, .note, .escalate, .resolve, .rate, .exception],
        .specialist: [.createTicket, .note, .escalate, .accept, .resolve, .rate, .exception],
        .supervisor: [.createTicket, .note, .escalate, .accept, .resolve, .reopen, .approve, .rate, .exception],
        .manager: [.createTicket, .note, .escalate, .accept, .resolve, .reopen, .approve, .rate, .exception, .setSLA],
        .analyst: [],
        .admin: [.createTicket, .note, .escalate, .accept, .resolve, .reopen, .approve, .rate, .exception, .setSLA, .addUser],
    ]

    /// Runs `command` as `user` on a fresh ticket prepared (by the admin) so the command is legal.
    func run(_ command: Command, as user: String, on store: ReplicaStore, clock: WorkflowFixture.Clock) async throws {
        let ticket = try await WorkflowFixture.ticket(on: store, actor: "root")
        switch command {
        case .createTicket: _ = try await WorkflowFixture.ticket(on: store, actor: user)
        case .note: _ = try await store.addEntry(ticket.id, kind: .note, body: "called", actor: user)
        case .escalate: _ = try await store.escalate(ticket.id, tier: 2, reason: "complex", actor: user)
        case .accept:
            _ = try await store.assign(ticket.id, to: user, tier: 2, department: nil, actor: "root")
            _ = try await store.accept(ticket.id, eta: clock.now + 3_600_000, actor: user)
        case .resolve:
            _ = try await store.addEntry(ticket.id, kind: .reply, body: "hi", actor: "root")
            _ = try await store.resolve(ticket.id, result: "done", actor: user)
        case .reopen, .approve, .rate:
            _ = try await store.addEntry(ticket.id, kind: .reply, body: "hi", actor: "root")
            _ = try await store.resolve(ticket.id, result: "done", actor: "root")
            switch command {
            case .reopen: _ = try await store.reopen(ticket.id, reason: "customer called back", actor: user)
            case .approve: _ = try await store.approve(ticket.id, comment: nil, actor: user)
            default: _ = try await store.rate(ticket.id, score: 4, comment: nil, actor: user)
            }
        case .exception: _ = try await store.raiseException(ticket.id, category: "process", grade: 3, description: "slow", actor: user)
        case .setSLA: _ = try await store.setSLA("standard", settings: ["at-risk=80"], actor: user)
        case .addUser: _ = try await store.saveUser(User(name: "new-\(UUID().uuidString.prefix(6))", role: .agent), actor: user)
        case .resolveConflictNone: break
        }
    }

    @Test(arguments: Role.allCases)
    func eachRoleMayRunItsCommandsAndIsRefusedTheRest(role: Role) async throws {
        let (store, clock) = try await staffedSite()
        let user = role == .admin ? "root" : role.rawValue
        for command in Command.allCases where command != .resolveConflictNone {
            if Self.allowed[role]!.contains(command) {
                try await run(command, as: user, on: store, clock: clock)
            } else {
                let error = await #expect(throws: DomainError.self, "\(role) \(command)") {
                    try await self.run(command, as: user, on: store, clock: clock)
                }
                #expect(error?.code == .forbidden, "\(role) \(command): \(error?.message ?? "")")
                #expect(error?.message.contains("'\(user)'") == true && error?.message.contains("role \(role.rawValue)") == true)
            }
        }
    }

    @Test func deactivatedUsersAreRefusedAndTheLastAdminStays() async throws {
        let (store, _) = try await staffedSite()
        _ = try await store.saveUser(User(name: "agent", role: .agent, active: false), actor: "root")
        await #expect(throws: DomainError.self) { try await WorkflowFixture.ticket(on: store, actor: "agent") }
        let last = await #expect(throws: DomainError.self) { try await store.saveUser(User(name: "root", role: .agent), actor: "root") }
        #expect(last?.code == .conflict)
    }

    @Test func usersReplicateAndRolesApplyOnTheOtherSite() async throws {
        let clock = WorkflowFixture.Clock(WorkflowFixture.start)
        let a = try WorkflowFixture.site("SH", clock: clock)
        let b = try WorkflowFixture.site("BJ", clock: clock)
        _ = try await a.saveUser(User(name: "root", role: .admin), actor: nil)
        _ = try await a.saveUser(User(name: "ana", role: .analyst), actor: "root")
        try await WorkflowFixture.sync(a, b)
        #expect(try await b.users().map(\.name) == ["ana", "root"])
        let error = await #expect(throws: DomainError.self) { try await WorkflowFixture.ticket(on: b, actor: "ana") }
        #expect(error?.code == .forbidden)
    }
}
