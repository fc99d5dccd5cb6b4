import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// What one merged batch did: the input of every `Derivation`.
struct MergedBatch {
    /// Every live change of the batch, winning or not (the change log keeps the losing ones too).
    let changes: [Change]
    /// The fields whose register the batch changed, by record (`field` of the key is empty).
    let written: [ChangeLog.FieldKey: [(field: String, value: FieldValue)]]

    /// Row ids of `entity` that some change of the batch writes one of `fields` of.
    func rows(of entity: String, writing fields: Set<String>) -> Set<String> {
        Set(changes.lazy.filter { $0.entity == entity && fields.contains($0.field) }.map(\.rowID))
    }

    /// Row ids of `entity` whose registers for one of `fields` the batch changed.
    func writtenRows(of entity: String, anyOf fields: Set<String>) -> [String] {
        written.compactMap { key, values in
            key.entity == entity && values.contains(where: { fields.contains($0.field) }) ? key.rowID : nil
        }
    }

    /// Whether the batch changed a register of the record `entity`/`rowID`.
    func wrote(entity: String, rowID: String) -> Bool {
        written[ChangeLog.FieldKey(entity: entity, rowID: rowID, field: "")] != nil
    }
}

/// Query-table values no replicated field writes directly: pure functions of the merged data,
/// recomputed after each batch for the rows the batch touched.
///
/// Being functions of the change log and registers only (never of the local clock or of the order
/// batches came in), they come out the same on every converged site and after a rebuild from the
/// log; the digest ignores them (it is over `register`). See Docs/performance.md, "Web queue".
struct Derivation: Sendable {
    let name: String
    /// Recomputes the derived values for the rows `batch` may have changed.
    let apply: @Sendable (MergedBatch, Database) throws -> Void
}

extension MaterializedView {
    /// Every derivation, in the order they run: later ones may read what earlier ones wrote.
    static let derivations: [Derivation] = [shownState, SLADerivation.derivation, TicketSearch.derivation]

    /// Ticket fields the shown `state` is derived from (see `TicketState.effective`).
    static let derivedStateInputs: Set<String> = ["state", "dissatisfied", "answeredRating"]

    /// The ticket's shown state, overwriting the replicated `state` column of the query table.
    static let shownState = Derivation(name: "shownState") { batch, db in
        for ticketID in batch.writtenRows(of: "ticket", anyOf: MaterializedView.derivedStateInputs).sorted() {
            try MaterializedView.deriveState(ticketID: ticketID, in: db)
        }
    }

    /// Writes the derived state into the query table only: a function of the merged registers,
    /// so every converged site, and a rebuild from the log, shows the same state.
    static func deriveState(ticketID: String, in db: Database) throws {
        guard let shown = try shownState(ticketID: ticketID, in: db) else { return }
        try db.cachedStatement(sql: "UPDATE ticket SET state = ? WHERE id = ?").execute(arguments: [shown.rawValue, ticketID])
    }

    /// The state a ticket shows, from its registers; nil if it has no valid state register.
    static func shownState(ticketID: String, in db: Database) throws -> TicketState? {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT field, value FROM register WHERE entity = 'ticket' AND rowId = ? AND field IN ('state', 'dissatisfied', 'answeredRating')"),
            arguments: [ticketID])
        var values: [String: String] = [:]
        for row in rows { values[row[0]] = row[1] }
        guard let raw = values["state"], let stored = TicketState(rawValue: raw) else { return nil }
        return TicketState.effective(stored: stored, dissatisfied: values["dissatisfied"], answered: values["answeredRating"])
    }
}
