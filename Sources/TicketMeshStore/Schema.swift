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
                    CREATE INDEX changeTarget ON change(rowId, entity, field);
                    CREATE TABLE vector (origin TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE register (
                        entity TEXT NOT NULL, rowId TEXT NOT NULL, field TEXT NOT NULL, value,
                        hlcPhysical INTEGER NOT NULL, hlcLogical INTEGER NOT NULL, site TEXT NOT NULL,
                        PRIMARY KEY (entity, rowId, field)) WITHOUT ROWID;
                    CREATE TABLE contested (
                        entity TEXT NOT NULL, rowId TEXT NOT NULL, field TEXT NOT NULL,
                        PRIMARY KEY (entity, rowId, field)) WITHOUT ROWID;
                    CREATE TABLE serial (day TEXT PRIMARY KEY NOT NULL, last INTEGER NOT NULL) WITHOUT ROWID;
                    """)
            for table in MaterializedView.tables {
                let columns = table.columns.sorted().map { "\($0)" }.joined(separator: ", ")
                try db.execute(sql: "CREATE TABLE \(table.name) (id TEXT PRIMARY KEY NOT NULL, \(columns))")
            }
            try db.execute(
                sql: """
                    CREATE INDEX ticketState ON ticket(state);
                    CREATE INDEX ticketNumber ON ticket(number);
                    CREATE INDEX ticketCustomer ON ticket(customerId);
                    CREATE INDEX entryTicket ON entry(ticketId, at);
                    """)
        }
        migrator.registerMigration("v2-workflow") { db in
            // v1 creates every table of `MaterializedView.tables` as it is when it runs, so a replica
            // made by an older build lacks the workflow tables and columns: add only what is missing.
            for table in MaterializedView.tables {
                if try db.tableExists(table.name) {
                    let existing = Set(try db.columns(in: table.name).map(\.name))
                    for column in table.columns.sorted() where !existing.contains(column) {
                        try db.execute(sql: "ALTER TABLE \(table.name) ADD COLUMN \(column)")
                    }
                } else {
                    let columns = table.columns.sorted().joined(separator: ", ")
                    try db.execute(sql: "CREATE TABLE \(table.name) (id TEXT PRIMARY KEY NOT NULL, \(columns))")
                }
            }
            try db.execute(
                sql: """
                    CREATE INDEX IF NOT EXISTS escalationTicket ON escalation(ticketId);
                    CREATE INDEX IF NOT EXISTS notificationRecipient ON notification(recipient);
                    CREATE INDEX IF NOT EXISTS notificationRole ON notification(role);
                    CREATE INDEX IF NOT EXISTS exceptionTicket ON exception(ticketId);
                    CREATE INDEX IF NOT EXISTS resolutionTarget ON resolution(rowId);
                    """)
        }
        return migrator
    }
}
