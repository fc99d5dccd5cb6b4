import GRDB
import TicketMeshDomain
import TicketMeshReplication

extension ReplicaStore {
    /// Number of tickets in the query table.
    package func ticketCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ticket WHERE number IS NOT NULL") ?? 0 }
    }
}
