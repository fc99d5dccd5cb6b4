import Foundation
import NIOSSL
import PostgresNIO

/// A `--postgres` URL: `postgres://user[:password]@host[:port]/database[?PARAMETERS]`, with
/// libpq's TLS parameters (Docs/scale-out.md, "TLS to PostgreSQL"):
/// - `sslmode`: `disable` (the default: loopback or a private network), `require` (encrypted,
///   the server not checked), `verify-ca` (its certificate chains to `sslrootcert`) or
///   `verify-full` (and names the host);
/// - `sslrootcert`: a PEM file of the CA certificates to trust, or `system` for the machine's;
///   required by `verify-ca` and `verify-full`;
/// - `sslcert` and `sslkey`: a client certificate and its key (PEM), for servers that ask for one.
package struct PostgresURL: Sendable, CustomStringConvertible {
    /// How the connection uses TLS (libpq's `sslmode` values the hub supports).
    package enum TLSMode: String, Sendable, CaseIterable {
        case disable, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var tlsMode: TLSMode
    /// The TLS settings the parameters make, read and checked when the URL was parsed; nil without TLS.
    package var tls: TLSConfiguration?

    /// Parses and checks every part, naming the part that is wrong.
    package init(_ given: String) throws(HubError) {
        let text = Self.withoutPassword(given)
        guard let url = URLComponents(string: given), let scheme = url.scheme else {
            throw .badPostgresURL(text, reason: "not a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw .badPostgresURL(text, reason: "scheme '\(scheme)' must be postgres or postgresql")
        }
        guard let host = url.host, !host.isEmpty else { throw .badPostgresURL(text, reason: "no host") }
        guard let user = url.user, !user.isEmpty else { throw .badPostgresURL(text, reason: "no user") }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw .badPostgresURL(text, reason: "port \(port) must be 1–65535") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw .badPostgresURL(text, reason: "the path must name one database")
        }
        var parameters: [String: String] = [:]
        for item in url.queryItems ?? [] {
            guard ["sslmode", "sslrootcert", "sslcert", "sslkey"].contains(item.name) else {
                throw .badPostgresURL(text, reason: "unknown parameter '\(item.name)' (only sslmode, sslrootcert, sslcert, sslkey)")
            }
            guard parameters[item.name] == nil else { throw .badPostgresURL(text, reason: "parameter '\(item.name)' is given twice") }
            guard let value = item.value, !value.isEmpty else { throw .badPostgresURL(text, reason: "parameter '\(item.name)' has no value") }
            parameters[item.name] = value
        }
        let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
        guard let mode = TLSMode(rawValue: parameters["sslmode"] ?? "disable") else {
            throw .badPostgresURL(text, reason: "sslmode=\(parameters["sslmode"] ?? "") must be one of \(modes)")
        }
        self.host = host
        self.port = port
        self.user = user
        self.password = url.password
        self.database = database
        self.tlsMode = mode
        self.tls = try Self.tls(mode, parameters, url: text)
    }

    /// The TLS settings of `mode` and the file parameters, each file read now so a bad one is named at start.
    private static func tls(_ mode: TLSMode, _ parameters: [String: String], url text: String) throws(HubError) -> TLSConfiguration? {
        let root = parameters["sslrootcert"]
        let (certificate, key) = (parameters["sslcert"], parameters["sslkey"])
        guard mode != .disable else {
            if let given = ["sslrootcert", "sslcert", "sslkey"].first(where: { parameters[$0] != nil }) {
                throw .badPostgresURL(text, reason: "\(given) needs sslmode require, verify-ca or verify-full (sslmode is disable)")
            }
            return nil
        }
        guard (certificate == nil) == (key == nil) else {
            throw .badPostgresURL(text, reason: "sslcert and sslkey go together: a client certificate needs its key")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return nil
        case .require:
            // libpq's `require`: encrypted, the server's certificate not checked.
            guard root == nil else {
                throw .badPostgresURL(text, reason: "sslrootcert is not checked with sslmode=require: use verify-ca or verify-full")
            }
            configuration.certificateVerification = .none
        case .verifyCA, .verifyFull:
            guard let root else {
                throw .badPostgresURL(
                    text, reason: "sslmode=\(mode.rawValue) needs sslrootcert=FILE (PEM CA certificates) or sslrootcert=system")
            }
            configuration.certificateVerification = mode == .verifyFull ? .fullVerification : .noHostnameVerification
            if root != "system" {
                configuration.trustRoots = .certificates(try read("sslrootcert", root, url: text) { try NIOSSLCertificate.fromPEMFile($0) })
            }
        }
        if let certificate, let key {
            configuration.certificateChain = try read("sslcert", certificate, url: text) { try NIOSSLCertificate.fromPEMFile($0) }
                .map { .certificate($0) }
            configuration.privateKey = .privateKey(try read("sslkey", key, url: text) { try NIOSSLPrivateKey(file: $0, format: .pem) })
        }
        return configuration
    }

    /// `parse` of the file at `path`, the parameter named on failure.
    private static func read<Value>(_ parameter: String, _ path: String, url text: String, _ parse: (String) throws -> Value) throws(HubError) -> Value {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .badPostgresURL(text, reason: "\(parameter)=\(path): no such readable file")
        }
        let value: Value
        do {
            value = try parse(path)
        } catch {
            throw .badPostgresURL(text, reason: "\(parameter)=\(path): not a PEM \(parameter == "sslkey" ? "private key" : "certificate file") (\(error))")
        }
        if let list = value as? [NIOSSLCertificate], list.isEmpty {
            throw .badPostgresURL(text, reason: "\(parameter)=\(path): holds no PEM certificate")
        }
        return value
    }

    /// The configuration of a single connection to this URL (`HubLog` makes one to tell why the pool got none).
    package var connectionConfiguration: PostgresConnection.Configuration {
        get throws {
            PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database,
                tls: try tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable)
        }
    }

    /// The client configuration for this URL.
    package var configuration: PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls.map { .require($0) } ?? .disable)
    }

    /// `text` with any password in it starred out, for messages.
    static func withoutPassword(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? text
    }

    /// The URL without its password, for messages.
    package var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (tlsMode == .disable ? "" : "?sslmode=\(tlsMode.rawValue)")
    }
}
