import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import TicketMeshDomain
import TicketMeshServer
import TicketMeshStore
import TicketMeshSync

/// `web --https`: TLS with the site's certificate from the organisation CA (`CertificateAuthority`),
/// checked by a client that trusts that CA and nothing else.
@Suite(.timeLimit(.minutes(2)))
struct HTTPSTests {
    /// A CA and a site identity directory (`site.pem`, `site.key`, `ca.pem`) written by it.
    static func identity() throws -> (tls: URL, ca: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tm-https-\(UUID().uuidString)")
        let ca = try CertificateAuthority.create(
            organization: "TicketMesh Test",
            directory: root.appendingPathComponent("ca")
        )
        let tls = root.appendingPathComponent("tls")
        try ca.writeSite(try SiteCode("HQ"), to: tls)
        return (tls, root.appendingPathComponent("ca/ca.pem"))
    }

    /// One HTTP/1.1 exchange over TLS; the client trusts only `ca` (site certificates name a site, not a host).
    struct RawReply {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: String
        func header(_ name: String) -> [String] { headers.filter { $0.name == name.lowercased() }.map(\.value) }
    }

    static func exchange(port: Int, trusting ca: URL?, _ head: String, body: String = "") async throws -> RawReply {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = ca.map { .file($0.path) } ?? .default
        configuration.certificateVerification = .noHostnameVerification
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: nil)
                    )
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let text = try await channel.executeThenClose { inbound, outbound in
            let request =
                head + "Host: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            try await outbound.write(ByteBuffer(string: request))
            var received = ByteBuffer()
            do {
                for try await var chunk in inbound { received.writeBuffer(&chunk) }
            } catch NIOSSLError.uncleanShutdown where received.readableBytes > 0 {
                // The server closed after its response without close_notify: the response is whole.
            }
            return String(buffer: received)
        }
        let parts = text.components(separatedBy: "\r\n\r\n")
        let lines = (parts.first ?? "").components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return RawReply(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func servesTheSiteCertificateWithSecureCookiesAndHSTS() async throws {
        let (tls, ca) = try Self.identity()
        let https = try WebServer.TLS.load(directory: tls)
        try await TestServer.with(try await TestServer.makeStore(), configure: { $0.tls = https }) { server in
            let page = try await Self.exchange(port: server.port, trusting: ca, "GET /login HTTP/1.1\r\n")
            #expect(page.status == 200)
            #expect(page.body.contains("id=\"login-form\""))
            #expect(page.header("strict-transport-security") == ["max-age=31536000"])
            #expect(page.header("content-security-policy").first?.contains("frame-ancestors 'none'") == true)
            let loginCookie = try #require(page.header("set-cookie").first { $0.hasPrefix("tm_login=") })
            #expect(loginCookie.contains("Secure"))
            let token = try #require(loginCookie.split(separator: ";").first?.dropFirst("tm_login=".count))

            let login = try await Self.exchange(
                port: server.port,
                trusting: ca,
                "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nCookie: tm_login=\(token)\r\n",
                body: "user=agent&password=password-agent&csrf=\(token)"
            )
            #expect(login.status == 303)
            let session = try #require(login.header("set-cookie").first { $0.hasPrefix("tm_session=") })
            #expect(session.contains("Secure") && session.contains("HttpOnly") && session.contains("SameSite=Strict"))

            let api = try await Self.exchange(
                port: server.port,
                trusting: ca,
                "POST /api/login HTTP/1.1\r\nContent-Type: application/json\r\n",
                body: #"{"user":"agent","password":"password-agent"}"#
            )
            #expect(api.status == 200)
            #expect(api.body.contains("\"token\""))
        }
    }

    @Test func aClientThatDoesNotTrustTheSiteCAIsRefusedTheHandshake() async throws {
        let (tls, _) = try Self.identity()
        let (_, otherCA) = try Self.identity()
        let https = try WebServer.TLS.load(directory: tls)
        try await TestServer.with(try await TestServer.makeStore(), configure: { $0.tls = https }) { server in
            await #expect(throws: (any Error).self) {
                _ = try await Self.exchange(port: server.port, trusting: otherCA, "GET /health HTTP/1.1\r\n")
            }
            await #expect(throws: (any Error).self) {
                _ = try await Self.exchange(port: server.port, trusting: nil, "GET /health HTTP/1.1\r\n")
            }
        }
    }

    @Test func missingIdentityIsAClearError() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("tm-https-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect {
            _ = try WebServer.TLS.load(directory: empty)
        } throws: { error in
            let message = (error as? WebServer.ConfigurationError)?.message ?? ""
            return message.contains("no site identity in \(empty.path)") && message.contains("site.pem")
                && message.contains("--tls DIR")
        }
        try Data("not a certificate".utf8).write(to: empty.appendingPathComponent("site.pem"))
        try Data("not a key".utf8).write(to: empty.appendingPathComponent("site.key"))
        try Data("not a certificate".utf8).write(to: empty.appendingPathComponent("ca.pem"))
        #expect {
            _ = try WebServer.TLS.load(directory: empty)
        } throws: { error in
            ((error as? WebServer.ConfigurationError)?.message ?? "").contains("is unusable")
        }
    }
}
