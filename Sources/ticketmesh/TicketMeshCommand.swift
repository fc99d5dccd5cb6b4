import ArgumentParser

/// The `ticketmesh` command line: parses, calls the modules, prints (DESIGN.md, CLI contract).
@main
struct TicketMeshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticketmesh",
        abstract: "Offline-first help desk: every site a full replica, synced over mutual TLS.",
        subcommands: [
            InitCommand.self, TicketCommand.self, CustomerCommand.self, ConflictsCommand.self, AuditCommand.self,
            StatusCommand.self, ChangesCommand.self, KnowledgeCommand.self, RetentionCommand.self, CareCommand.self,
            SLACommand.self, UserCommand.self, InboxCommand.self, ExceptionCommand.self, ReportCommand.self,
            SeedCommand.self, CertsCommand.self, SyncCommand.self, ServeCommand.self, WebCommand.self, SiteCommand.self,
            ClockCommand.self, BackupCommand.self, SnapshotCommand.self, AutomationCommand.self, TypeCommand.self, MailCommand.self,
            HubCommand.self,
        ]
    )
}
