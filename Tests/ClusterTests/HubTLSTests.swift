import Foundation
import Logging
import Testing
import TicketMeshHub

/// The hub's connection to PostgreSQL over TLS (Docs/scale-out.md, "TLS to PostgreSQL"): a real
/// server with `ssl=on` that takes TCP connections only over TLS with a client certificate.
@Suite(.serialized, .timeLimit(.minutes(4)), .disabled(if: TestPostgres.unavailable != nil, "\(TestPostgres.unavailable ?? "")"))
struct HubTLSTests {
    /// Two CAs made with openssl: `ca` signed the server's certificate (for the name localhost only) and
    /// the client's (common name `tm`, the database user); `other` signed nothing the server knows.
    struct Certificates {
        let directory = temporaryDirectory("pg-tls")
        func file(_ name: String) -> String { directory.appendingPathComponent(name).path }

        init() throws {
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                         "-keyout", file("ca.key"), "-out", file("ca.crt"), "-subj", "/CN=TicketMesh test PostgreSQL CA"])
            try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                         "-keyout", file("other.key"), "-out", file("other.crt"), "-subj", "/CN=Another CA"])
            try sign("server", subject: "/CN=localhost", extensions: "subjectAltName=DNS:localhost")
            try sign("client", subject: "/CN=tm", extensions: "extendedKeyUsage=clientAuth")
            try "not a certificate\n".write(toFile: file("junk.pem"), atomically: true, encoding: .utf8)
        }

        private func sign(_ name: String, subject: String, extensions: String) throws {
            try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", file("\(name).key"), "-out", file("\(name).csr"), "-subj", subject])
            try extensions.write(toFile: file("\(name).ext"), atomically: true, encoding: .utf8)
            try openssl(["x509", "-req", "-in", file("\(name).csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"),
                         "-CAcreateserial", "-days", "2", "-extfile", file("\(name).ext"), "-out", file("\(name).crt")])
        }

        private func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CLI.CLIError(message: "openssl \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
            }
        }
    }

    static var logger: Logger {
        var logger = Logger(label: "test.hub-tls")
        logger.logLevel = .critical
        return logger
    }

    /// Migrates the hub schema through `url` and answers what came of it.
    func migrate(_ url: String) async -> Result<Void, any Error> {
        do {
            let log = HubLog(url: try PostgresURL(url), logger: Self.logger)
            defer { log.shutdown() }
            // Long enough for a loaded CI machine: a refusal is answered at once by the hub's first connection.
            try await log.migrate(timeout: .seconds(60))
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    @Test func hubConnectsOnlyWithAVerifiedServerAndItsClientCertificate() async throws {
        let pki = try Certificates()
        let postgres = try await TestPostgres(
            tls: .init(
                certificate: URL(fileURLWithPath: pki.file("server.crt")), key: URL(fileURLWithPath: pki.file("server.key")),
                clientCA: URL(fileURLWithPath: pki.file("ca.crt"))))
        defer { Task { await postgres.stop() } }
        let base = "postgres://tm@localhost:\(postgres.port)/ticketmesh"
        let client = "sslcert=\(pki.file("client.crt"))&sslkey=\(pki.file("client.key"))"
        let root = "sslrootcert=\(pki.file("ca.crt"))"

        // Verified chain and host name, with the client's certificate: the schema is made.
        let full = await migrate("\(base)?sslmode=verify-full&\(root)&\(client)")
        #expect(throws: Never.self) { try full.get() }
        #expect(try await postgres.psql("SELECT max(version) FROM hub_schema") == "1")
        // libpq's `require`: encrypted, the server not checked (the client certificate still counts).
        let required = await migrate("\(base)?sslmode=require&\(client)")
        #expect(throws: Never.self) { try required.get() }

        // Each of these is refused, with the reason in the error.
        func refusal(_ url: String) async -> String {
            switch await migrate(url) {
            case .success: return "connected"
            case .failure(let error): return "\(error)"
            }
        }
        let plain = await refusal(base)
        #expect(plain.contains("cannot use postgres://tm@localhost:\(postgres.port)/ticketmesh") && plain.contains("no encryption"), "\(plain)")
        let wrongCA = await refusal("\(base)?sslmode=verify-ca&sslrootcert=\(pki.file("other.crt"))&\(client)")
        #expect(wrongCA.contains("cannot use") && wrongCA.uppercased().contains("CERTIFICATE_VERIFY_FAILED"), "\(wrongCA)")
        let noClientCertificate = await refusal("\(base)?sslmode=verify-full&\(root)")
        #expect(noClientCertificate.contains("cannot use") && noClientCertificate.contains("certificate"), "\(noClientCertificate)")
        // The certificate names localhost only: verify-ca takes it at 127.0.0.1, verify-full does not.
        let address = "postgres://tm@127.0.0.1:\(postgres.port)/ticketmesh"
        let caOnly = await migrate("\(address)?sslmode=verify-ca&\(root)&\(client)")
        #expect(throws: Never.self) { try caOnly.get() }
        let wrongName = await refusal("\(address)?sslmode=verify-full&\(root)&\(client)")
        #expect(wrongName.contains("cannot use") && wrongName != "connected", "a certificate for localhost does not pass at 127.0.0.1: \(wrongName)")
    }

    /// Bad TLS parameters are refused before any connection, naming the parameter and the rule.
    @Test func badTLSParametersNameTheParameter() throws {
        let pki = try Certificates()
        let base = "postgres://tm:secret@db.example:5432/ticketmesh"
        func reason(_ query: String) -> String {
            do {
                _ = try PostgresURL(base + "?" + query)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(reason("sslmode=prefer").contains("sslmode=prefer must be one of disable, require, verify-ca, verify-full"))
        #expect(reason("sslmode=verify-full").contains("sslmode=verify-full needs sslrootcert=FILE"))
        #expect(reason("sslrootcert=\(pki.file("ca.crt"))").contains("sslrootcert needs sslmode require, verify-ca or verify-full"))
        #expect(reason("sslmode=require&sslcert=\(pki.file("client.crt"))").contains("sslcert and sslkey go together"))
        #expect(reason("sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem").contains("sslrootcert=/nonexistent/ca.pem: no such readable file"))
        #expect(reason("sslmode=verify-ca&sslrootcert=\(pki.file("junk.pem"))").contains("sslrootcert=\(pki.file("junk.pem")):"))
        #expect(reason("sslmode=require&sslcert=\(pki.file("client.crt"))&sslkey=\(pki.file("junk.pem"))").contains("sslkey="))
        #expect(reason("sslmode=require&sslmode=disable").contains("parameter 'sslmode' is given twice"))
        #expect(reason("sslmode=verify-ca&sslrootcert=system") == "accepted")
        let url = try PostgresURL(base + "?sslmode=verify-full&sslrootcert=\(pki.file("ca.crt"))")
        #expect(url.tlsMode == .verifyFull && url.tls != nil)
        #expect(url.description == "postgres://tm@db.example:5432/ticketmesh?sslmode=verify-full")
        // A refused URL is echoed without its password.
        let refused = reason("sslmode=bogus")
        #expect(!refused.contains("secret") && refused.contains("tm:***@db.example"), "\(refused)")
    }
}
