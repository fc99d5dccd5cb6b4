import TicketMeshDomain

/// One field write, the unit of replication: `(origin, seq, HLC, entity, row, field, value)`.
///
/// `base` is the version of the value the writer saw when it wrote (nil for the first write),
/// which is how a concurrent write is told from an ordinary edit (see Docs/replication.md).
package struct Change: Hashable, Sendable {
    /// The site that made the change; kept when the change is relayed.
    package var origin: SiteCode
    /// The origin's gap-free sequence number, starting at 1.
    package var seq: Int64
    package var hlc: HLC
    /// The record kind, e.g. `ticket`, `entry`, `customer`.
    package var entity: String
    /// The record's stable id (a UUID or a customer id).
    package var rowID: String
    package var field: String
    package var value: FieldValue
    /// The version this write replaced, as the writer saw it.
    package var base: Version?
    /// The user who made the write, for the audit trail (R10.3); nil for system writes.
    package var actor: String?
    /// Set when a retention purge blanked `value` (R6.2): the change's leaf hash from before, so its
    /// block still verifies (`Block.leaf(of:)`). `value` is `.null` then.
    package var scrubbed: BlockHash?

    package init(
        origin: SiteCode, seq: Int64, hlc: HLC, entity: String, rowID: String, field: String, value: FieldValue,
        base: Version? = nil, actor: String? = nil, scrubbed: BlockHash? = nil
    ) {
        self.origin = origin
        self.seq = seq
        self.hlc = hlc
        self.entity = entity
        self.rowID = rowID
        self.field = field
        self.value = value
        self.base = base
        self.actor = actor
        self.scrubbed = scrubbed
    }

    /// The write's position in last-writer-wins order.
    package var version: Version { Version(hlc: hlc, site: origin) }

    /// The change as a purge leaves it: value blank, its leaf hash kept (its block still verifies).
    package var blanked: Change {
        guard scrubbed == nil else { return self }
        var blank = self
        blank.scrubbed = Block.leaf(of: self)
        blank.value = .null
        return blank
    }
}

/// A field edit a local command wants; the store turns it into a `Change` with seq, HLC and base.
package struct FieldEdit: Hashable, Sendable {
    package var entity: String
    package var rowID: String
    package var field: String
    package var value: FieldValue

    package init(entity: String, rowID: String, field: String, value: FieldValue) {
        self.entity = entity
        self.rowID = rowID
        self.field = field
        self.value = value
    }
}
