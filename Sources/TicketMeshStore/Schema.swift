import GRDB

/// The replica's tables and their migrations.
///
/// `change` is the append-only spine; `register` holds the winning write of every field;
/// `ticket`, `entry`, `customer` are query tables materialised from `register`
/// (see `MaterializedView`). `vector`, `meta` and `serial` are local bookkeeping.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;
                    CREATE TABLE change (
                        origin TEXT NOT NULL, seq INTEGER NOT NULL,
                        hlcPhysical INTEGER NOT NULL, hlcLogical INTEGER NOT NULL,
                        entity TEXT NOT NULL, rowId TEXT NOT NULL, field TEXT NOT NULL, value,
                        baseHlcPhysical INTEGER, baseHlcLogical INTEGER, baseSite TEXT, actor TEXT,
                        PRIMARY KEY (origin, seq)) WITHOUT ROWID;
                    CREATE INDEX changeRow ON change(rowId);
                    CREATE TABLE vector (origin TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE register (
                        entity TEXT NOT NULL, rowId TEXT NOT NULL, field TEXT NOT NULL, value,
                        hlcPhysical INTEGER NOT NULL, hlcLogical INTEGER NOT NULL, site TEXT NOT NULL,
                        contested INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (entity, rowId, field)) WITHOUT ROWID;
                    CREATE INDEX registerContested ON register(rowId) WHERE contested = 1;
                    CREATE TABLE serial (day TEXT PRIMARY KEY NOT NULL, last INTEGER NOT NULL) WITHOUT ROWID;
                    """)
            try ensureQueryTables(db)
            try db.execute(
                sql: """
                    CREATE INDEX ticketState ON ticket(state);
                    CREATE INDEX ticketNumber ON ticket(number);
                    CREATE INDEX ticketCustomer ON ticket(customerId);
                    CREATE INDEX entryTicket ON entry(ticketId, at);
                    """)
        }
        migrator.registerMigration("v2-knowledge") { db in
            try ensureQueryTables(db)
            // Trigram tokens make substring search work for Chinese, which has no spaces between words.
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE articleSearch USING fts5(articleId UNINDEXED, title, body, tokenize = 'trigram');
                    CREATE TRIGGER articleSearchInsert AFTER INSERT ON article BEGIN
                      INSERT INTO articleSearch (articleId, title, body) VALUES (new.id, new.title, new.body);
                    END;
                    CREATE TRIGGER articleSearchUpdate AFTER UPDATE OF title, body ON article BEGIN
                      DELETE FROM articleSearch WHERE articleId = old.id;
                      INSERT INTO articleSearch (articleId, title, body) VALUES (new.id, new.title, new.body);
                    END;
                    CREATE TRIGGER articleSearchDelete AFTER DELETE ON article BEGIN
                      DELETE FROM articleSearch WHERE articleId = old.id;
                    END;
                    CREATE INDEX articleHitArticle ON articleHit(articleId);
                    CREATE INDEX articleLinkArticle ON articleLink(articleId);
                    """)
        }
        migrator.registerMigration("v2-workflow") { db in
            try ensureQueryTables(db)
            try db.execute(
                sql: """
                    CREATE INDEX IF NOT EXISTS escalationTicket ON escalation(ticketId);
                    CREATE INDEX IF NOT EXISTS notificationRecipient ON notification(recipient);
                    CREATE INDEX IF NOT EXISTS notificationRole ON notification(role);
                    CREATE INDEX IF NOT EXISTS exceptionTicket ON exception(ticketId);
                    CREATE INDEX IF NOT EXISTS resolutionTarget ON resolution(rowId);
                    """)
        }
        migrator.registerMigration("v2-retention") { db in
            try ensureQueryTables(db)
            // Local, derived from tombstones: every row id a purge removed, so late changes stay blank.
            try db.execute(sql: "CREATE TABLE purgedRow (rowId TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID")
            try db.execute(sql: "CREATE INDEX registerTicketChild ON register(field, value) WHERE field = 'ticketId'")
        }
        migrator.registerMigration("v2-crm") { db in
            try ensureQueryTables(db)
            try db.execute(sql: "CREATE INDEX purchaseCustomer ON purchase(customerId, at)")
            try db.execute(sql: "CREATE INDEX careTaskDue ON careTask(dueAt)")
        }
        migrator.registerMigration("v3-reports") { db in
            try ensureQueryTables(db)
            // Reports read a period by receipt time, first replies per ticket, repeat complaints per
            // customer, and the few state writes (pause, reopen, escalation) that change their figures.
            try db.execute(
                sql: """
                    CREATE INDEX IF NOT EXISTS ticketReceived ON ticket(receivedAt);
                    CREATE INDEX IF NOT EXISTS ticketCustomerReceived ON ticket(customerId, receivedAt);
                    CREATE INDEX IF NOT EXISTS entryTicketKind ON entry(ticketId, kind, at);
                    CREATE INDEX IF NOT EXISTS changeStateMark ON change(rowId, value)
                      WHERE entity = 'ticket' AND field = 'state' AND value IN ('pending-customer', 'reopened', 'escalated');
                    """)
        }
        migrator.registerMigration("v3-passwords") { db in
            try ensureQueryTables(db)
        }
        migrator.registerMigration("v4-queue") { db in
            try ensureQueryTables(db)
            // The SLA queue (Docs/performance.md, "Web queue"): candidates in `slaDueAt` order, by
            // default among tickets not closed, or within one state, assignee or customer; tickets with
            // no running clock newest first. Partial, so closed and idle tickets cost these indexes nothing.
            try db.execute(
                sql: """
                    CREATE INDEX ticketQueue ON ticket(slaDueAt, number) WHERE slaDueAt IS NOT NULL AND state != 'closed';
                    CREATE INDEX ticketQueueState ON ticket(state, slaDueAt, number) WHERE slaDueAt IS NOT NULL;
                    CREATE INDEX ticketQueueAssignee ON ticket(assignee, slaDueAt, number)
                      WHERE slaDueAt IS NOT NULL AND state != 'closed';
                    CREATE INDEX ticketQueueCustomer ON ticket(customerId, slaDueAt, number)
                      WHERE slaDueAt IS NOT NULL AND state != 'closed';
                    CREATE INDEX ticketIdle ON ticket(registeredAt, number) WHERE slaDueAt IS NULL AND state != 'closed';
                    CREATE INDEX ticketIdleState ON ticket(state, registeredAt, number) WHERE slaDueAt IS NULL;
                    """)
            try SLADerivation.backfill(in: db)
        }
        migrator.registerMigration("v5-blocks") { db in
            try ensureQueryTables(db)
            // Provenance (Docs/replication.md, "Blocks"): every change belongs to one block of its
            // origin's hash chain; `signer` holds the keys that may sign per origin (from certificates
            // the organisation CA issued); `forkBlock` keeps the losing side of forks as proof, and
            // this site's own lost work until it is re-issued. `block.checked`: this replica verified the
            // block's signature itself (see `Block.checked`). `change.scrubbed` keeps the leaf hash
            // of a value a purge blanked.
            try db.execute(
                sql: """
                    CREATE TABLE block (
                        origin TEXT NOT NULL, lastSeq INTEGER NOT NULL, firstSeq INTEGER NOT NULL,
                        hash BLOB NOT NULL, previous BLOB NOT NULL, changesHash BLOB NOT NULL,
                        hlcPhysical INTEGER NOT NULL, hlcLogical INTEGER NOT NULL,
                        signature BLOB NOT NULL, certificate BLOB NOT NULL, checked INTEGER NOT NULL,
                        PRIMARY KEY (origin, lastSeq)) WITHOUT ROWID;
                    CREATE TABLE signer (
                        origin TEXT NOT NULL, publicKey BLOB NOT NULL, certificate BLOB NOT NULL, addedAt INTEGER NOT NULL,
                        PRIMARY KEY (origin, publicKey)) WITHOUT ROWID;
                    CREATE TABLE forkBlock (
                        hash BLOB PRIMARY KEY NOT NULL, origin TEXT NOT NULL, firstSeq INTEGER NOT NULL, lastSeq INTEGER NOT NULL,
                        previous BLOB NOT NULL, keptHash BLOB NOT NULL, hlcPhysical INTEGER NOT NULL, hlcLogical INTEGER NOT NULL,
                        block BLOB NOT NULL, detectedAt INTEGER NOT NULL, reissue INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE INDEX forkBlockOrigin ON forkBlock(origin, reissue);
                    CREATE INDEX blockCertificate ON block(origin) WHERE length(certificate) > 0;
                    ALTER TABLE change ADD COLUMN scrubbed BLOB;
                    """)
            try LegacyBlocks.chain(in: db)
        }
        migrator.registerMigration("v6-rights") { db in
            // Site roles and revocation (Docs/workflow.md, "Site roles"; Docs/replication.md, "Revocation"):
            // `signer` learns each key's certificate serial and whether it makes an admin site;
            // `deniedChange` lists logged changes that are never merged (their block's signer had
            // no right to them), so a rebuild from the log leaves them out exactly as arrival did.
            try db.execute(
                sql: """
                    ALTER TABLE signer ADD COLUMN serial TEXT;
                    ALTER TABLE signer ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE deniedChange (
                        origin TEXT NOT NULL, seq INTEGER NOT NULL, reason TEXT NOT NULL,
                        PRIMARY KEY (origin, seq)) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v6-reveals") { db in
            // Reveals of personal data (Docs/workflow.md, "Read rights"), listed per record by the audit.
            try ensureQueryTables(db)
            try db.execute(sql: "CREATE INDEX revealRecord ON reveal(recordId, at)")
        }
        migrator.registerMigration("v7-queue") { db in
            // Queue filters, search and saved views (issue 16; Docs/web.md, "Queue"): `ticketText` holds
            // each ticket's, entry's and customer's text as a masked read shows it (kept by
            // `TicketSearch.derivation`), `ticketTextSearch` its trigram index (external content, kept
            // by triggers); the text goes with its record (purges delete query-table rows).
            try ensureQueryTables(db)
            try db.execute(
                sql: """
                    CREATE TABLE ticketText (
                        rowid INTEGER PRIMARY KEY, sourceId TEXT NOT NULL UNIQUE, ticketId TEXT, customerId TEXT, body TEXT NOT NULL);
                    CREATE INDEX ticketTextTicket ON ticketText(ticketId);
                    CREATE INDEX ticketTextCustomer ON ticketText(customerId) WHERE ticketId IS NULL;
                    CREATE VIRTUAL TABLE ticketTextSearch USING fts5(
                        body, content = 'ticketText', content_rowid = 'rowid', tokenize = 'trigram');
                    CREATE TRIGGER ticketTextInsert AFTER INSERT ON ticketText BEGIN
                      INSERT INTO ticketTextSearch (rowid, body) VALUES (new.rowid, new.body);
                    END;
                    CREATE TRIGGER ticketTextUpdate AFTER UPDATE ON ticketText BEGIN
                      INSERT INTO ticketTextSearch (ticketTextSearch, rowid, body) VALUES ('delete', old.rowid, old.body);
                      INSERT INTO ticketTextSearch (rowid, body) VALUES (new.rowid, new.body);
                    END;
                    CREATE TRIGGER ticketTextDelete AFTER DELETE ON ticketText BEGIN
                      INSERT INTO ticketTextSearch (ticketTextSearch, rowid, body) VALUES ('delete', old.rowid, old.body);
                    END;
                    CREATE TRIGGER ticketTextTicketGone AFTER DELETE ON ticket BEGIN
                      DELETE FROM ticketText WHERE sourceId = 'ticket:' || old.id;
                    END;
                    CREATE TRIGGER ticketTextEntryGone AFTER DELETE ON entry BEGIN
                      DELETE FROM ticketText WHERE sourceId = 'entry:' || old.id;
                    END;
                    CREATE TRIGGER ticketTextCustomerGone AFTER DELETE ON customer BEGIN
                      DELETE FROM ticketText WHERE sourceId = 'customer:' || old.id;
                    END;
                    CREATE INDEX IF NOT EXISTS savedViewOwner ON savedView(owner);
                    """)
            try TicketSearch.backfill(in: db)
        }
        migrator.registerMigration("v8-purge-refs") { db in
            // A purge finds a ticket's children, and the resolutions of their fields, in the log
            // (`Purge.cascade`): every record that ever named it, whatever its registers say now.
            try db.execute(
                sql: """
                    CREATE INDEX IF NOT EXISTS changeTicketRef ON change(value) WHERE field = 'ticketId';
                    CREATE INDEX IF NOT EXISTS changeResolutionRef ON change(value) WHERE entity = 'resolution' AND field = 'rowId';
                    """)
        }
        migrator.registerMigration("v9-blank-changes") { db in
            // The changes this site holds blank for rows it never purged (`ReplicaStore.blankChanges`),
            // kept as a table: the hello asks peers for their values, and a scan of every blank in
            // the log (every purged ticket's) per hello would grow with the retention history.
            try db.execute(
                sql: """
                    CREATE TABLE blankChange (
                        origin TEXT NOT NULL, seq INTEGER NOT NULL, rowId TEXT NOT NULL, PRIMARY KEY (origin, seq)
                    ) WITHOUT ROWID;
                    CREATE INDEX blankChangeRow ON blankChange(rowId);
                    """)
            try ChangeLog.recountBlanks(in: db)
        }
        return migrator
    }

    /// Creates every query table of `MaterializedView.tables` that is missing, and adds missing columns.
    ///
    /// Migrations call it so a replica made by an older build gains new tables and columns;
    /// schema changes are additive (DESIGN: fields travel by name).
    static func ensureQueryTables(_ db: Database) throws {
        for table in MaterializedView.tables {
            if try db.tableExists(table.name) {
                let existing = Set(try db.columns(in: table.name).map(\.name))
                for column in table.columns.union(table.derived).sorted() where !existing.contains(column) {
                    try db.execute(sql: "ALTER TABLE \(table.name) ADD COLUMN \(column)")
                }
            } else {
                let columns = table.columns.union(table.derived).sorted().joined(separator: ", ")
                try db.execute(sql: "CREATE TABLE \(table.name) (id TEXT PRIMARY KEY NOT NULL, \(columns))")
            }
        }
    }
}
