import GRDB
import TicketMeshReplication

extension ReplicaStore {
    /// Of `blocks`, those this replica holds after applying them: on their chain or kept as fork
    /// proof. A hub writes exactly these to its shared log (Docs/scale-out.md).
    package func holding(_ blocks: [Block]) async throws -> [Block] {
        try await writer.read { db in try blocks.filter { try BlockGate.holds($0, in: db) } }
    }
}
