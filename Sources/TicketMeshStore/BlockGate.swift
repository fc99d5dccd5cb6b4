import Crypto
import Foundation
import GRDB
import TicketMeshDomain
import TicketMeshReplication

/// The one path into the change log (Docs/replication.md, "One gate").
///
/// Local edits: stamp (seq, HLC, base) → block (chain, sign) → append → materialise.
/// Received blocks: bounds and clock → chain or fork → signer → append → materialise.
/// Both end in `ChangeLog.record`, so a received write merges exactly as a local one.
/// Reading and writing the `block`, `signer` and `forkBlock` tables happens only here.
enum BlockGate {
    /// A block row without its changes.
    struct Held {
        var origin: SiteCode
        var firstSeq: Int64
        var lastSeq: Int64
        var hash: BlockHash
        var previous: BlockHash
        var hlc: HLC
        var signature: [UInt8]
        var checked: Bool
        var certificate: [UInt8]
    }

    static let heldColumns = "origin, firstSeq, lastSeq, hash, previous, hlcPhysical, hlcLogical, signature, checked, certificate"

    static func held(from row: Row) -> Held {
        Held(
            origin: SiteCode(trusted: row[0]), firstSeq: row[1], lastSeq: row[2],
            hash: BlockHash(unchecked: [UInt8](row[3] as Data)), previous: BlockHash(unchecked: [UInt8](row[4] as Data)),
            hlc: HLC(physical: row[5], logical: UInt32(clamping: row[6] as Int64)), signature: [UInt8](row[7] as Data),
            checked: row[8] as Int64 != 0, certificate: [UInt8](row[9] as Data))
    }

    /// The origin's last block held here, or nil if none.
    static func head(origin: SiteCode, in db: Database) throws -> ChainHead? {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT lastSeq, hash FROM block WHERE origin = ? ORDER BY lastSeq DESC LIMIT 1"),
            arguments: [origin.rawValue])
        return row.map { ChainHead(seq: $0[0], hash: BlockHash(unchecked: [UInt8]($0[1] as Data))) }
    }

    /// Every origin's last block.
    static func heads(in db: Database) throws -> ChainHeads {
        var entries: [SiteCode: ChainHead] = [:]
        for origin in try String.fetchAll(db, sql: "SELECT DISTINCT origin FROM block") {
            let code = SiteCode(trusted: origin)
            entries[code] = try head(origin: code, in: db)
        }
        return ChainHeads(entries)
    }

    /// The held block of `origin` whose range contains `seq`.
    static func held(origin: SiteCode, containing seq: Int64, in db: Database) throws -> Held? {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT \(heldColumns) FROM block WHERE origin = ? AND lastSeq >= ? ORDER BY lastSeq LIMIT 1"),
            arguments: [origin.rawValue, seq])
        return row.map(held(from:)).flatMap { $0.firstSeq <= seq ? $0 : nil }
    }

    /// The held block ending at `seq`.
    static func held(origin: SiteCode, endingAt seq: Int64, in db: Database) throws -> Held? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(heldColumns) FROM block WHERE origin = ? AND lastSeq = ?"),
            arguments: [origin.rawValue, seq]
        ).map(held(from:))
    }

    /// A held block with its changes, as it was received or made.
    static func load(_ held: Held, in db: Database) throws -> Block {
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT \(ChangeLog.columns) FROM change WHERE origin = ? AND seq BETWEEN ? AND ? ORDER BY seq"),
            arguments: [held.origin.rawValue, held.firstSeq, held.lastSeq])
        var block = try Block(
            previous: held.previous, changes: rows.map(ChangeLog.change(from:)), signature: held.signature,
            certificate: held.certificate)
        block.checked = held.checked
        return block
    }

    static func insert(_ block: Block, checked: Bool, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO block (origin, lastSeq, firstSeq, hash, previous, changesHash, hlcPhysical, hlcLogical, signature, certificate, checked)
                VALUES (?,?,?,?,?,?,?,?,?,?,?)
                """
        ).execute(arguments: [
            block.origin.rawValue, block.lastSeq, block.firstSeq, Data(block.hash.bytes), Data(block.previous.bytes),
            Data(block.changesHash.bytes), block.hlc.physical, Int64(block.hlc.logical), Data(block.signature),
            Data(block.certificate), checked ? 1 : 0,
        ])
    }

    /// Whether `block` is held here: on its origin's chain or kept as fork proof (a hub's log keeps both).
    static func holds(_ block: Block, in db: Database) throws -> Bool {
        let hash = Data(block.hash.bytes)
        return try Bool.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM block WHERE origin = ? AND lastSeq = ? AND hash = ?)
                        OR EXISTS (SELECT 1 FROM forkBlock WHERE hash = ?)
                    """),
            arguments: [block.origin.rawValue, block.lastSeq, hash, hash]) ?? false
    }

    static func markChecked(_ block: Block, in db: Database) throws {
        try db.cachedStatement(sql: "UPDATE block SET checked = 1 WHERE origin = ? AND lastSeq = ?")
            .execute(arguments: [block.origin.rawValue, block.lastSeq])
    }

    static func addSigner(origin: SiteCode, key: CertifiedKey, certificate: [UInt8], at time: Int64, in db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO signer (origin, publicKey, certificate, addedAt, serial, admin) VALUES (?,?,?,?,?,?)"
        ).execute(arguments: [origin.rawValue, Data(key.key.x963Representation), Data(certificate), time, key.serial, key.admin ? 1 : 0])
    }

    /// Keeps a block refused as the losing side of a fork: the proof, and for this site's own
    /// origin the work to re-issue. Returns false if it was already kept.
    @discardableResult
    static func keepProof(_ block: Block, kept: BlockHash, reissue: Bool, at time: Int64, in db: Database) throws -> Bool {
        var writer = ByteWriter(capacity: 1024)
        BlockCodec.encode(block, into: &writer)
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO forkBlock (hash, origin, firstSeq, lastSeq, previous, keptHash, hlcPhysical, hlcLogical, block, detectedAt, reissue)
                VALUES (?,?,?,?,?,?,?,?,?,?,?)
                """
        ).execute(arguments: [
            Data(block.hash.bytes), block.origin.rawValue, block.firstSeq, block.lastSeq, Data(block.previous.bytes),
            Data(kept.bytes), block.hlc.physical, Int64(block.hlc.logical), Data(writer.bytes), time, reissue ? 1 : 0,
        ])
        return db.changesCount > 0
    }

    /// Whether a block of `origin`'s chain carries `certificate`, so every peer learns the key before it needs it.
    static func chainCarries(certificate: [UInt8], origin: SiteCode, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            // The partial index `blockCertificate` holds only the few blocks that carry one: no scan per write.
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM block INDEXED BY blockCertificate WHERE origin = ? AND length(certificate) > 0 AND certificate = ?)"),
            arguments: [origin.rawValue, Data(certificate)]) ?? false
    }

    /// Whether any fork of `origin` was seen here.
    static func hasFork(origin: SiteCode, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM forkBlock WHERE origin = ?)"), arguments: [origin.rawValue]) ?? false
    }

    static func isProof(_ hash: BlockHash, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM forkBlock WHERE hash = ?)"), arguments: [Data(hash.bytes)]) ?? false
    }

    /// Takes `origin`'s blocks from `seq` on off the chain, with their changes, keeping each as proof.
    ///
    /// Blocks in `batch` (accepted by the running `applyBlocks`, their changes not logged yet) are
    /// only dropped: there is nothing of them to keep but what the sender still holds.
    /// - Returns: the blocks kept as proof, oldest first, and the hashes of every block taken off.
    static func truncate(
        origin: SiteCode, from seq: Int64, kept: BlockHash, reissue: Bool, skipping batch: Set<BlockHash> = [], at time: Int64,
        in db: Database
    ) throws -> (proofs: [Block], removed: Set<BlockHash>) {
        let removed = try Row.fetchAll(
            db, sql: "SELECT \(heldColumns) FROM block WHERE origin = ? AND lastSeq >= ? ORDER BY lastSeq",
            arguments: [origin.rawValue, seq]
        ).map(held(from:))
        var blocks: [Block] = []
        for held in removed where !batch.contains(held.hash) {
            let block = try load(held, in: db)
            try keepProof(block, kept: kept, reissue: reissue, at: time, in: db)
            blocks.append(block)
        }
        try deleteChain(origin: origin, from: seq, in: db)
        return (blocks, Set(removed.map(\.hash)))
    }

    /// Deletes `origin`'s blocks and changes from `seq` on (their seqs are issued again).
    static func deleteChain(origin: SiteCode, from seq: Int64, in db: Database) throws {
        try db.execute(sql: "DELETE FROM block WHERE origin = ? AND lastSeq >= ?", arguments: [origin.rawValue, seq])
        try db.execute(sql: "DELETE FROM change WHERE origin = ? AND seq >= ?", arguments: [origin.rawValue, seq])
        try db.execute(sql: "DELETE FROM deniedChange WHERE origin = ? AND seq >= ?", arguments: [origin.rawValue, seq])
        try db.execute(sql: "DELETE FROM blankChange WHERE origin = ? AND seq >= ?", arguments: [origin.rawValue, seq])
    }

    /// Where a chain walk stopped: the first seq of the block that breaks it.
    struct ChainBreak: Error {
        var seq: Int64
        var message: String
        /// The walk's `visit` found it (not a broken link or hash).
        var byVisit = false
    }

    /// Walks `origin`'s chain from its first block: each block must link to the one before it and its
    /// changes must hash to it; no change may lie beyond the last block. `visit` sees each intact
    /// block in order and may stop the walk by returning what is wrong with it.
    /// - Returns: the first break, or nil if the whole chain holds.
    static func walk(origin: SiteCode, in db: Database, visit: (Held, Block) throws -> String?) throws -> ChainBreak? {
        var previous = BlockHash.zero
        var expected: Int64 = 1
        let rows = try Row.fetchCursor(
            db, sql: "SELECT \(heldColumns) FROM block WHERE origin = ? ORDER BY lastSeq", arguments: [origin.rawValue])
        while let row = try rows.next() {
            let held = held(from: row)
            let label = "\(origin):\(held.firstSeq)-\(held.lastSeq)"
            guard held.firstSeq == expected, held.previous == previous else {
                return ChainBreak(seq: held.firstSeq, message: "block \(label) does not link to the block before it")
            }
            let rebuilt: Block
            do {
                rebuilt = try load(held, in: db)
            } catch {
                return ChainBreak(seq: held.firstSeq, message: "block \(label): its changes are missing or malformed (\(error))")
            }
            guard rebuilt.changes.count == Int(held.lastSeq - held.firstSeq + 1) else {
                return ChainBreak(seq: held.firstSeq, message: "block \(label): the log holds \(rebuilt.changes.count) of its changes")
            }
            guard rebuilt.hash == held.hash else {
                return ChainBreak(
                    seq: held.firstSeq, message: "block \(label): its changes no longer hash to the block (a value was altered in the log)")
            }
            if let problem = try visit(held, rebuilt) { return ChainBreak(seq: held.firstSeq, message: problem, byVisit: true) }
            previous = held.hash
            expected = held.lastSeq + 1
        }
        let stray = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM change WHERE origin = ? AND seq >= ?", arguments: [origin.rawValue, expected]) ?? 0
        if stray > 0 {
            return ChainBreak(seq: expected, message: "\(stray) changes of \(origin) from seq \(expected) belong to no block")
        }
        return nil
    }

    /// Cuts local changes (consecutive seqs of this site) into chained blocks of at most `Block.maxChanges`.
    static func chain(_ changes: [Change], after head: ChainHead) throws -> [Block] {
        var blocks: [Block] = []
        var previous = head.hash
        var start = 0
        while start < changes.count {
            let end = min(start + Block.maxChanges, changes.count)
            let block = try Block(previous: previous, changes: Array(changes[start..<end]))
            blocks.append(block)
            previous = block.hash
            start = end
        }
        return blocks
    }
}

extension ReplicaStore {
    // MARK: Local writes

    /// Appends this site's freshly stamped changes as signed blocks and merges them.
    func appendLocal(_ changes: [Change], in db: Database) throws {
        guard let first = changes.first else { return }
        try requireIdentityIfEnrolled(in: db)
        try checkLocalRights(changes, in: db)
        let head = try BlockGate.head(origin: site, in: db) ?? ChainHead(seq: 0, hash: .zero)
        guard first.seq == head.seq + 1 else {
            throw StoreError(
                code: .inconsistent,
                message: "local seq \(first.seq) of \(site) does not follow the chain head \(head.seq): run 'ticketmesh audit --verify'")
        }
        var blocks = try BlockGate.chain(changes, after: head)
        if let provenance = configuration.provenance {
            let own = provenance.signer
            let known = try BlockGate.chainCarries(certificate: own.certificate, origin: site, in: db)
            for index in blocks.indices {
                blocks[index].signature = try own.sign(blocks[index].hash)
            }
            if !known {
                blocks[0].certificate = own.certificate
                try BlockGate.addSigner(origin: site, key: try ownCertifiedKey(), certificate: own.certificate, at: configuration.now(), in: db)
            }
        }
        for block in blocks { try BlockGate.insert(block, checked: true, in: db) }
        let fresh = try ChangeLog.record(changes, in: db)
        guard fresh.count == changes.count else {
            throw StoreError(code: .inconsistent, message: "local seq reused: the log already holds changes of \(site) after seq \(head.seq)")
        }
        try ChangeLog.setVector(origin: site, seq: changes[changes.count - 1].seq, in: db)
    }

    /// A replica that has signed its changes never writes or verifies without its identity: opened
    /// without it (a tool, a script), it would write unsigned blocks no peer accepts, or accept unverified ones.
    func requireIdentityIfEnrolled(in db: Database) throws {
        guard configuration.provenance == nil else { return }
        let enrolled =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM signer WHERE origin = ?)"), arguments: [site.rawValue]) ?? false
        if enrolled {
            throw StoreError(
                code: .notInitialized,
                message:
                    "site \(site) signs its changes, but was opened without its identity: open it with its data directory's identity/ (or 'site enroll --tls DIR')"
            )
        }
    }

    // MARK: Received blocks

    /// Verifies and applies received blocks inside the caller's transaction (`apply(_:)`).
    ///
    /// A block is accepted when it continues its origin's chain here and the chain's last block
    /// in this batch carries a valid signature of the origin (one signature per origin per
    /// batch; the hash links prove the rest). A block already held is a duplicate. A different
    /// block where one is held is a fork: the earlier (`Block.forkWinner`) stays on the chain,
    /// the other is kept as proof; if the received one wins, the held branch is taken off and
    /// the derived tables rebuilt. Anything out of bounds, stamped too far ahead, unsigned or
    /// badly signed fails the whole batch.
    func applyBlocks(_ blocks: [Block], in db: Database) throws -> ApplyReport {
        try requireIdentityIfEnrolled(in: db)
        var clock = try loadClock(db)
        let wall = configuration.now()
        var report = ApplyReport()
        var heads: [SiteCode: ChainHead] = [:]
        var accepted: [Block] = []
        /// Per origin: the keys introduced in this batch, and the chain's last accepted block to verify.
        var introduced: [SiteCode: [CertifiedKey]] = [:]
        var verifyLast: [SiteCode: Block] = [:]
        var losers: Set<BlockHash> = []
        var rebuild = false
        let ordered = blocks.enumerated().sorted {
            ($0.element.origin, $0.element.firstSeq, $0.offset) < ($1.element.origin, $1.element.firstSeq, $1.offset)
        }.map(\.element)

        func head(_ origin: SiteCode) throws -> ChainHead {
            if let known = heads[origin] { return known }
            let found = try BlockGate.head(origin: origin, in: db) ?? ChainHead(seq: 0, hash: .zero)
            heads[origin] = found
            return found
        }
        func accept(_ block: Block) throws {
            if !block.certificate.isEmpty { try introduce(block) }
            // Unchecked until it turns out to end its origin's run in this batch (then verified below).
            try BlockGate.insert(block, checked: false, in: db)
            accepted.append(block)
            heads[block.origin] = ChainHead(seq: block.lastSeq, hash: block.hash)
            verifyLast[block.origin] = block
            clock.observe(block.hlc)
            report.applied += block.changes.count
        }
        func introduce(_ block: Block) throws {
            guard let provenance = configuration.provenance else { return }
            let key: CertifiedKey
            do {
                key = try provenance.trust.signingKey(
                    certificate: block.certificate, origin: block.origin, at: Date(timeIntervalSince1970: Double(block.hlc.physical) / 1000))
            } catch {
                throw ReplicationError(code: .untrusted, message: "block \(block.label) carries a certificate this organisation refuses: \(error)")
            }
            if block.origin == site, key.key.x963Representation != provenance.signer.publicKey.x963Representation {
                throw ReplicationError(
                    code: .untrusted,
                    message: "block \(block.label) claims this site's origin \(site) but is signed by another key: refused")
            }
            try BlockGate.addSigner(origin: block.origin, key: key, certificate: block.certificate, at: wall, in: db)
            introduced[block.origin, default: []].append(key)
        }
        func keys(_ origin: SiteCode) throws -> [P256.Signing.PublicKey] {
            try signingKeys(origin, introduced: (introduced[origin] ?? []).map(\.key), in: db)
        }
        /// Every key certified for `origin`, with serial and role: introduced in this batch or before.
        /// (The `signer` rows are read once per origin per batch: keys this batch brings are in `introduced`.)
        var stored: [SiteCode: [CertifiedKey]] = [:]
        func certified(_ origin: SiteCode) throws -> [CertifiedKey] {
            if stored[origin] == nil { stored[origin] = try SiteRights.signers(origin: origin, in: db) }
            return (introduced[origin] ?? []) + stored[origin]!
        }

        // Revocation (Docs/replication.md, "Revocation"): records held here, and the CA-signed ones
        // this batch carries, end their certificates; a block its revoked key signed after the
        // revocation time is refused, whoever relays it.
        var revoked = try heldRevocations(in: db)
        /// New revocations this batch carries, with the blocks carrying each.
        var incoming: [String: (revocation: Revocation, carriers: Set<BlockHash>)] = [:]
        if let trust = configuration.provenance?.trust {
            for block in ordered {
                for change in block.changes where change.entity == SiteRights.revocationEntity && change.field == "record" {
                    guard let text = change.value.text, let revocation = try? revocationCache.revocation(record: text, trust: trust) else { continue }
                    if revoked[revocation.serial].map({ $0.time > revocation.time }) ?? true {
                        revoked[revocation.serial] = revocation
                        incoming[revocation.serial] = (revocation, [block.hash])
                    } else if incoming[revocation.serial]?.revocation == revocation {
                        incoming[revocation.serial]?.carriers.insert(block.hash)
                    }
                }
            }
        }
        var notices: [String] = []
        /// The revocation of the key that signed `block`, if it signed it after being revoked.
        func revocation(ofSigner block: Block) throws -> Revocation? {
            guard let trust = configuration.provenance?.trust, !revoked.isEmpty else { return nil }
            var candidates = try certified(block.origin)
            // The block that introduces a key: a site that never held it learns the key here.
            if !block.certificate.isEmpty,
                let key = try? trust.signingKey(
                    certificate: block.certificate, origin: block.origin, at: Date(timeIntervalSince1970: Double(block.hlc.physical) / 1000))
            {
                candidates.append(key)
            }
            return SiteRights.revocation(ofSigner: block, candidates: candidates, revoked: revoked)
        }
        func verify(_ block: Block) throws {
            guard configuration.provenance != nil else { return }
            guard block.isSigned else {
                throw ReplicationError(
                    code: .untrusted,
                    message: "block \(block.label) is unsigned: this site belongs to an organisation and accepts only blocks signed by their origin")
            }
            let candidates = try keys(block.origin)
            guard candidates.contains(where: { block.isSigned(by: $0) }) else {
                throw ReplicationError(
                    code: .untrusted,
                    message:
                        candidates.isEmpty
                        ? "block \(block.label) is signed by \(block.origin), whose certificate this site has not seen: refused"
                        : "block \(block.label) does not carry a valid signature of \(block.origin): refused (forged or altered)")
            }
        }

        for block in ordered {
            try clock.checkAhead(block.hlc, origin: block.origin, label: block.label, wall: wall)
            if let revocation = try revocation(ofSigner: block) {
                losers.insert(block.hash)
                report.refused += block.changes.count
                notices.append(
                    "refused block \(block.label): signed by \(block.origin)'s certificate \(revocation.serial), revoked by the CA at \(Self.isoTime(revocation.time))")
                continue
            }
            if block.origin == site && configuration.provenance == nil {
                if let held = try BlockGate.held(origin: site, containing: block.firstSeq, in: db), held.hash == block.hash {
                    report.duplicates += block.changes.count
                    report.refilled += try refill(from: block, in: db)
                    continue
                }
                throw ReplicationError(
                    code: .untrusted,
                    message: "block \(block.label) claims this site's own origin \(site); a replica with no organisation CA accepts its own history from nobody")
            }
            let current = try head(block.origin)
            if block.firstSeq == current.seq + 1 && block.previous == current.hash {
                try accept(block)
                continue
            }
            if block.firstSeq <= current.seq, let held = try BlockGate.held(origin: block.origin, containing: block.firstSeq, in: db) {
                if held.hash == block.hash {
                    report.duplicates += block.changes.count
                    report.refilled += try refill(from: block, in: db)
                    if held.signature.isEmpty && block.isSigned {
                        try upgradeSignature(block, in: db)
                    }
                    continue
                }
                if held.firstSeq == block.firstSeq && held.previous == block.previous {
                    if try !isAuthentic(block, keys: keys(block.origin)) {
                        report.refused += block.changes.count
                        continue
                    }
                    let kept = try BlockGate.load(held, in: db)
                    if Block.forkWinner(kept, block) == kept {
                        try BlockGate.keepProof(block, kept: kept.hash, reissue: block.origin == site, at: wall, in: db)
                        losers.insert(block.hash)
                        report.refused += block.changes.count
                        continue
                    }
                    let removedHashes = try BlockGate.truncate(
                        origin: block.origin, from: held.firstSeq, kept: block.hash, reissue: block.origin == site,
                        skipping: Set(accepted.map(\.hash)), at: wall, in: db
                    ).removed
                    accepted.removeAll { removedHashes.contains($0.hash) }
                    if verifyLast[block.origin].map({ removedHashes.contains($0.hash) }) == true { verifyLast[block.origin] = nil }
                    losers.formUnion(removedHashes)
                    heads[block.origin] = ChainHead(seq: held.firstSeq - 1, hash: held.previous)
                    rebuild = true
                    try accept(block)
                    continue
                }
            }
            if try losers.contains(block.previous) || BlockGate.isProof(block.previous, in: db) {
                // The losing branch goes on: more proof, and for our own origin more work to re-issue.
                if try isAuthentic(block, keys: keys(block.origin)) {
                    try BlockGate.keepProof(block, kept: current.hash, reissue: block.origin == site, at: wall, in: db)
                }
                // Its descendants in this batch are refused with it (a revoked key's chain whose
                // certificate this site never took in cannot be checked, but cannot link either).
                losers.insert(block.hash)
                report.refused += block.changes.count
                continue
            }
            if block.firstSeq > current.seq + 1 {
                throw ReplicationError(
                    code: .gap,
                    message:
                        "blocks of \(block.origin) start at seq \(block.firstSeq) but this site holds \(block.origin) only up to seq \(current.seq): export for this site's vector ('changes export --for-vector', from its 'status --json')"
                )
            }
            // Does not link to the history held here (its predecessor was never sent). If it is our
            // own signed work from before a restore, keep it to re-issue; otherwise nothing to do with it.
            if block.origin == site, configuration.provenance != nil, try isAuthentic(block, keys: keys(site)),
                try BlockGate.held(origin: site, containing: block.firstSeq, in: db)?.hash != block.hash
            {
                try BlockGate.keepProof(block, kept: current.hash, reissue: true, at: wall, in: db)
            }
            report.refused += block.changes.count
        }
        for block in verifyLast.values {
            try verify(block)
            try BlockGate.markChecked(block, in: db)
        }

        // A revocation new here takes off the chain what its key signed after the revocation time,
        // so a site that held those blocks ends where one that got the record first began.
        // Only records this batch keeps count for that: what a site takes off its chain, every site will.
        let acceptedHashes = Set(accepted.map(\.hash))
        let kept = incoming.values.filter { !$0.carriers.isDisjoint(with: acceptedHashes) }.map(\.revocation)
        for cut in try takeOffRevoked(kept, introduced: introduced, batch: acceptedHashes, at: wall, in: db)
        {
            accepted.removeAll { cut.removed.contains($0.hash) }
            if verifyLast[cut.origin].map({ cut.removed.contains($0.hash) }) == true { verifyLast[cut.origin] = nil }
            heads[cut.origin] = cut.head
            rebuild = true
            notices.append(cut.notice)
        }

        // Site roles (Docs/workflow.md, "Site roles"): organisation records count only from blocks
        // an admin site signed; revocation records only when the CA signed them. Others are logged
        // (the chain stays whole) and never merged, on every site alike.
        var denied: Set<ChangeLog.ChangeID> = []
        if let trust = configuration.provenance?.trust {
            for block in accepted {
                let (branch, forged) = SiteRights.withheld(block, certified: try certified(block.origin), trust: trust, cache: revocationCache)
                if !branch.isEmpty {
                    try SiteRights.deny(branch, reason: "branch site", in: db)
                    denied.formUnion(branch.map(ChangeLog.ChangeID.init))
                    notices.append(
                        "did not merge \(branch.count) change(s) to \(Set(branch.map(\.entity)).sorted().joined(separator: ", ")) in block \(block.label): \(block.origin) is not an admin site; \(SiteRights.rule)")
                }
                if !forged.isEmpty {
                    try SiteRights.deny(forged, reason: "revocation not signed by the CA", in: db)
                    denied.formUnion(forged.map(ChangeLog.ChangeID.init))
                    notices.append("did not merge \(forged.count) revocation record(s) in block \(block.label): not signed by this organisation's CA")
                }
            }
        }
        report.denied = denied.count
        report.notices = notices

        let changes = accepted.flatMap(\.changes)
        if rebuild {
            try ChangeLog.insert(changes, in: db)
            try rebuildDerived(in: db)
        } else {
            let fresh = try ChangeLog.record(changes, denied: denied, in: db)
            guard fresh.count == changes.count else {
                throw StoreError(code: .inconsistent, message: "the log holds changes no block covers: run 'ticketmesh audit --verify'")
            }
        }
        for (origin, head) in heads { try ChangeLog.setVector(origin: origin, seq: head.seq, in: db) }
        try saveClock(clock, db)
        return report
    }

    /// The keys that may sign for `origin` here: our own origin only our own key (no other certificate
    /// may write as us); any other origin the keys its certificates introduced, in this batch or before.
    func signingKeys(_ origin: SiteCode, introduced: [P256.Signing.PublicKey], in db: Database) throws -> [P256.Signing.PublicKey] {
        guard let provenance = configuration.provenance else { return [] }
        if origin == site { return [provenance.signer.publicKey] }
        return introduced + (try SiteRights.signers(origin: origin, in: db).map(\.key))
    }

    /// Whether a block that does not continue the chain (a fork candidate) is the origin's own.
    private func isAuthentic(_ block: Block, keys: [P256.Signing.PublicKey]) throws -> Bool {
        guard configuration.provenance != nil else { return true }
        return keys.contains { block.isSigned(by: $0) }
    }

    /// What `takeOffRevoked` took off one origin's chain.
    struct RevokedCut {
        var origin: SiteCode
        var removed: Set<BlockHash>
        /// The origin's head after the cut.
        var head: ChainHead
        var notice: String
    }

    /// Takes off the chain, per revocation, the held blocks its key signed after the revocation
    /// time and everything after them (`introduced`: keys learnt in the running batch; `batch`: its
    /// blocks, whose changes are not logged yet). The caller rebuilds the derived tables.
    func takeOffRevoked(
        _ revocations: [Revocation], introduced: [SiteCode: [CertifiedKey]], batch: Set<BlockHash>, at wall: Int64, in db: Database
    ) throws -> [RevokedCut] {
        var cuts: [RevokedCut] = []
        for revocation in revocations.sorted(by: { $0.serial < $1.serial }) {
            let signers = (introduced[revocation.site] ?? []) + (try SiteRights.signers(origin: revocation.site, in: db))
            let keys = signers.filter { $0.serial == revocation.serial }.map(\.key)
            guard !keys.isEmpty else { continue }
            let candidates = try Row.fetchAll(
                db, sql: "SELECT \(BlockGate.heldColumns) FROM block WHERE origin = ? AND hlcPhysical > ? ORDER BY lastSeq",
                arguments: [revocation.site.rawValue, revocation.time]
            ).map(BlockGate.held(from:))
            for held in candidates where !batch.contains(held.hash) {
                let block = try BlockGate.load(held, in: db)
                guard keys.contains(where: { block.isSigned(by: $0) }) else { continue }
                let removed = try BlockGate.truncate(
                    origin: revocation.site, from: held.firstSeq, kept: held.previous, reissue: revocation.site == site, skipping: batch, at: wall,
                    in: db
                ).removed
                cuts.append(
                    RevokedCut(
                        origin: revocation.site, removed: removed, head: ChainHead(seq: held.firstSeq - 1, hash: held.previous),
                        notice:
                            "took \(removed.count) block(s) of \(revocation.site) from seq \(held.firstSeq) off the chain: signed by certificate \(revocation.serial) after the CA revoked it at \(Self.isoTime(revocation.time))"
                    ))
                try ChangeLog.setVector(origin: revocation.site, seq: held.firstSeq - 1, in: db)
                break
            }
        }
        return cuts
    }

    /// Stores the origin's signature on a block held unsigned (signed later by `site enroll`).
    private func upgradeSignature(_ block: Block, in db: Database) throws {
        if configuration.provenance != nil {
            guard try signingKeys(block.origin, introduced: [], in: db).contains(where: { block.isSigned(by: $0) }) else { return }
        }
        try db.execute(
            sql: "UPDATE block SET signature = ? WHERE origin = ? AND lastSeq = ? AND hash = ?",
            arguments: [Data(block.signature), block.origin.rawValue, block.lastSeq, Data(block.hash.bytes)])
    }

    // MARK: Re-issuing work a fork took off our own chain

    /// Re-issues, on top of the chain now held, this site's own changes that lost a fork.
    ///
    /// Each change keeps its HLC, base and actor, so last-writer-wins orders it exactly as before;
    /// only its seq is new. A ticket number that the kept history already gives to another ticket
    /// is replaced by a fresh one, the old number kept in `aliases` so it still finds the ticket.
    ///
    /// A site restored from a backup can stamp a new write with the very HLC a lost write had (both
    /// follow the same received HLC while its wall clock is behind): same field, same version,
    /// another value. Such a change is not "held"; it is re-issued with a fresh HLC, as are this
    /// site's later re-issued changes to the same field (their order kept, a base naming a re-stamped
    /// version following it), so no two writes in the log share a version and none is dropped. The
    /// write it now beats stays visible as a conflict when their bases say they were concurrent.
    func reissuePending(in db: Database) throws {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT hash, block FROM forkBlock WHERE origin = ? AND reissue = 1 ORDER BY firstSeq, detectedAt"),
            arguments: [site.rawValue])
        guard !rows.isEmpty else { return }
        var pending: [(change: Change, collides: Bool)] = []
        for row in rows {
            var reader = ByteReader([UInt8](row[1] as Data))
            let block = try BlockCodec.decode(from: &reader)
            for change in block.changes where change.scrubbed == nil {
                let held = try DatabaseValue.fetchAll(
                    db.cachedStatement(
                        sql: """
                            SELECT value FROM change WHERE rowId = ? AND entity = ? AND field = ? AND origin = ?
                            AND hlcPhysical = ? AND hlcLogical = ?
                            """),
                    arguments: [change.rowID, change.entity, change.field, site.rawValue, change.hlc.physical, Int64(change.hlc.logical)])
                if held.isEmpty {
                    pending.append((change, false))
                } else if !held.contains(where: { FieldValue($0) == change.value }) {
                    pending.append((change, true))
                }
            }
        }
        try db.execute(sql: "UPDATE forkBlock SET reissue = 2 WHERE origin = ? AND reissue = 1", arguments: [site.rawValue])
        guard !pending.isEmpty else { return }
        var (clock, seq) = try loadClockAndSeq(db)
        for (change, _) in pending { clock.observe(change.hlc) }
        let wall = configuration.now()
        var restamped: [ChangeLog.FieldKey: [Version: Version]] = [:]
        var changes: [Change] = []
        for (change, collides) in pending {
            seq += 1
            var moved = change
            moved.seq = seq
            let key = ChangeLog.FieldKey(entity: change.entity, rowID: change.rowID, field: change.field)
            if collides || restamped[key] != nil {
                moved.hlc = clock.tick(wall: wall)
                if let base = change.base, let renamed = restamped[key]?[base] { moved.base = renamed }
                restamped[key, default: [:]][change.version] = moved.version
            }
            changes.append(moved)
        }
        let writes = pending.map(\.change)
        try appendLocal(changes, in: db)
        // Numbers the kept history gave to another ticket: a fresh number, the old one as an alias.
        var renumber: [FieldEdit] = []
        for change in writes where change.entity == "ticket" && change.field == "number" {
            guard let number = change.value.text,
                try String.fetchOne(db, sql: "SELECT id FROM ticket WHERE number = ? AND id <> ?", arguments: [number, change.rowID]) != nil
            else { continue }
            let fresh = try nextTicketNumber(now: configuration.now(), in: db)
            let aliases = try String.fetchOne(db, sql: "SELECT aliases FROM ticket WHERE id = ?", arguments: [change.rowID])
            renumber.append(FieldEdit(entity: "ticket", rowID: change.rowID, field: "number", value: .text(fresh.description)))
            renumber.append(
                FieldEdit(
                    entity: "ticket", rowID: change.rowID, field: "aliases",
                    value: .text([aliases, number].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " "))))
        }
        try saveClock(clock, db)
        if !renumber.isEmpty { try stamp(renumber, actor: nil, in: db) }
    }

    /// Whether work a fork took off this site's chain waits to be re-issued.
    func hasPendingReissue(in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM forkBlock WHERE origin = ? AND reissue = 1)"),
            arguments: [site.rawValue]) ?? false
    }
}
