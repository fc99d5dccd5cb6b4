import Foundation
import Logging
import NIOCore
import NIOSSL
import TicketMeshReplication

/// A TCP channel with TLS, frame cutting and an idle timeout installed, wrapped for async use.
struct SyncConnection: Sendable {
    typealias Channel = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    let channel: Channel
    /// What the certificate check learned about the peer.
    let check: PeerCheck
    /// `host:port` of the peer, for log lines.
    let remoteAddress: String

    enum Role: Sendable { case client, server }

    /// Installs the pipeline on a fresh channel; must run on its event loop.
    ///
    /// TLS 1.3 only, peer certificate required and checked by `PeerVerifier` instead of BoringSSL.
    static func configure(
        _ channel: any NIOCore.Channel,
        role: Role,
        context: NIOSSLContext,
        configuration: SyncSession.Configuration,
        replica: (any Replica)?,
        remoteAddress: String? = nil
    ) throws -> SyncConnection {
        let check = PeerCheck()
        let verifier = configuration.verifier(replica: replica)
        let callback: NIOSSLCustomVerificationCallback = { certificates, promise in
            let chain = certificates.compactMap { try? $0.toDERBytes() }
            promise.completeWithTask {
                let claimed = PeerVerifier.claimedName(derChain: chain)
                do {
                    let site = try await verifier.verify(derChain: chain)
                    check.record(.success(site), claimed: claimed)
                    return .certificateVerified
                } catch let error as SyncError {
                    check.record(.failure(error), claimed: claimed)
                    return .failed
                } catch {
                    check.record(.failure(SyncError(code: .untrustedPeer, message: "\(error)")), claimed: claimed)
                    return .failed
                }
            }
        }
        let operations = channel.pipeline.syncOperations
        switch role {
        case .server:
            try operations.addHandler(NIOSSLServerHandler(context: context, customVerificationCallback: callback))
        case .client:
            try operations.addHandler(
                try NIOSSLClientHandler(context: context, serverHostname: nil, customVerificationCallback: callback)
            )
        }
        try operations.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameBytes: configuration.maxFrameBytes)))
        try operations.addHandler(
            IdleStateHandler(readTimeout: SyncSession.Configuration.timeAmount(configuration.idleTimeout))
        )
        try operations.addHandler(IdleCloser())
        // Frames buffered per direction stay below the watermark: at most `window` batches plus acks,
        // done and bye are ever outstanding, so neither side stops reading while the other waits.
        let high = 2 * configuration.window + 8
        let wrapped = try Channel(
            wrappingChannelSynchronously: channel,
            configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: high))
        )
        let remote = remoteAddress ?? channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        return SyncConnection(channel: wrapped, check: check, remoteAddress: remote)
    }

    /// The TLS configuration both roles use: our certificate, TLS 1.3, peer certificate required.
    static func tlsContext(identity: SiteIdentity, role: Role) throws -> NIOSSLContext {
        var tls: TLSConfiguration
        switch role {
        case .server:
            tls = .makeServerConfiguration(
                certificateChain: identity.certificateChain.map { .certificate($0) },
                privateKey: .privateKey(identity.privateKey)
            )
        case .client:
            tls = .makeClientConfiguration()
            tls.certificateChain = identity.certificateChain.map { .certificate($0) }
            tls.privateKey = .privateKey(identity.privateKey)
        }
        tls.minimumTLSVersion = .tlsv13
        tls.maximumTLSVersion = .tlsv13
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates([identity.caCertificate])
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw SyncError.configuration(
                field: "--tls",
                value: identity.directory.path,
                rule: "TLS setup failed: \(error)"
            )
        }
    }
}
