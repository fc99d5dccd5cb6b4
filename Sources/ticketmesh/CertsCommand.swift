import ArgumentParser
import Foundation
import TicketMeshDomain
import TicketMeshSync

/// `ticketmesh certs ca|site|revoke`: the organisation CA and the site certificates sync requires.
struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make the organisation CA, site certificates, and revoke them.",
        discussion: """
            A site's --tls directory (made by 'certs site') holds site.pem, site.key, ca.pem and revoked.json.
            A site is a branch site unless issued with --admin: only admin sites write users, roles, passwords,
            SLA policies, settings and purges (Docs/workflow.md, "Site roles").
            'certs revoke' works offline: it signs the revocation into the CA's revoked.json; import that file at
            any one site ('ticketmesh changes import revoked.json') and sync carries it to every site.
            """,
        subcommands: [Authority.self, Site.self, Revoke.self]
    )

    struct Authority: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ca",
            abstract: "Create the organisation CA (P-256)."
        )

        @Option(help: "Organisation name, in the CA's subject.") var org: String
        @Option(help: "Directory for ca.pem, ca.key (mode 0600), issued.json, revoked.json.") var out: String
        @Flag(help: "Print JSON on stdout.") var json = false

        func run() async throws {
            try await runSyncReporting {
                let directory = URL(fileURLWithPath: out)
                let authority = try CertificateAuthority.create(organization: org, directory: directory)
                if json {
                    try Output.json([
                        "ca": directory.appendingPathComponent(CertificateAuthority.certificateFile).path,
                        "subject": authority.subjectDescription,
                    ])
                } else {
                    print("Created CA '\(authority.subjectDescription)' in \(directory.path)")
                }
            }
        }
    }

    struct Site: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "site",
            abstract: "Issue a site's key and certificate."
        )

        @Option(help: "The CA directory (from 'certs ca').") var ca: String
        @Option(help: "Site code: 2–8 of A–Z, 0–9; goes into the subject CN and a SAN.") var site: String
        @Option(help: "The site's --tls directory to write: site.pem, site.key (0600), ca.pem, revoked.json.") var out:
            String
        @Option(help: "Validity in days.") var days = 730
        @Flag(help: "An admin site (head office): may write users, roles, SLA policies, settings and purges.") var admin = false
        @Flag(help: "Print JSON on stdout.") var json = false

        func run() async throws {
            try await runSyncReporting {
                let code = try SiteCode(site)
                guard (1...36_500).contains(days) else {
                    throw SyncError(code: .invalidConfiguration, message: "invalid --days '\(days)': must be 1–36500")
                }
                let authority = try CertificateAuthority.load(directory: URL(fileURLWithPath: ca))
                let directory = URL(fileURLWithPath: out)
                let credentials = try authority.writeSite(code, to: directory, admin: admin, validity: TimeInterval(days) * 86_400)
                let role = admin ? "admin" : "branch"
                if json {
                    try Output.json(["site": code.rawValue, "serial": credentials.serial, "tls": directory.path, "role": role])
                } else {
                    print("Issued \(role)-site certificate for site \(code) (serial \(credentials.serial)) in \(directory.path)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke",
            abstract: "Revoke every certificate issued to a site: signs the revocation into the CA's revoked.json."
        )

        @Option(help: "The CA directory (from 'certs ca').") var ca: String
        @Option(help: "Site code whose certificates to revoke.") var site: String
        @Flag(help: "Print JSON on stdout.") var json = false

        func run() async throws {
            try await runSyncReporting {
                let code = try SiteCode(site)
                let directory = URL(fileURLWithPath: ca)
                let serials = try CertificateAuthority.load(directory: directory).revoke(site: code)
                let list = directory.appendingPathComponent(RevocationList.fileName).path
                if json {
                    try Output.json(["site": code.rawValue, "revoked": serials.joined(separator: ","), "list": list])
                } else {
                    print(
                        "Revoked \(serials.count) certificate(s) of site \(code). Carry \(list) to any site and run"
                            + " 'ticketmesh changes import \(list) --data DIR' there: sync takes it to every other site.")
                }
            }
        }
    }
}
