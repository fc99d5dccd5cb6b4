import Foundation
import Synchronization
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshStore

/// Shared set-up for the workflow store tests: an injected clock, sites, a ticket, sync.
enum WorkflowFixture {
    /// A settable wall clock (ms) shared with a store's configuration.
    final class Clock: Sendable {
        private let value: Mutex<Int64>
        init(_ start: Int64) { value = Mutex(start) }
        var now: Int64 { value.withLock { $0 } }
        func set(_ millis: Int64) { value.withLock { $0 = millis } }
        func advance(minutes: Int64) { value.withLock { $0 += minutes * 60_000 } }
    }

    static let start: Int64 = 1_795_600_800_000  // 2026-11-25T10:00:00Z, a Wednesday

    static func site(_ code: String, clock: Clock) throws -> ReplicaStore {
        try ReplicaStore.inMemory(site: SiteCode(code), configuration: .init(now: { clock.now }, timeZone: TimeZone(identifier: "UTC")!))
    }

    /// A customer and an urgent ticket registered on `store`.
    static func ticket(on store: ReplicaStore, type: String = "consultation/product", urgency: String = "urgent", actor: String? = nil) async throws -> Ticket {
        let customers = try await store.customers()
        if customers.isEmpty {
            _ = try await store.addCustomer(Customer(id: "C0001", name: "Acme"), generateID: false, actor: actor)
        }
        return try await store.createTicket(
            TicketDraft(customerId: "C0001", channel: "phone", type: type, urgency: urgency, summary: "parcel lost"), actor: actor)
    }

    /// Both directions of a full exchange.
    static func sync(_ a: ReplicaStore, _ b: ReplicaStore) async throws {
        try await deliverAll(from: a, to: b)
        try await deliverAll(from: b, to: a)
    }
}
