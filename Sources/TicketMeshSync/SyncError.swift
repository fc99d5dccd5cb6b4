/// A sync session, certificate or configuration the sync layer refused or could not complete.
///
/// A session that fails with any code has applied only whole batches it acknowledged; nothing
/// from the batch in flight. The `message` names the field, value and rule.
package struct SyncError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Code: Hashable, Sendable {
        /// A flag, file or setting is missing or invalid (e.g. no `site.pem` in the `--tls` directory).
        case invalidConfiguration
        /// The peer's certificate is not from our CA, is expired, revoked or carries no valid site code.
        case untrustedPeer
        /// The site code in the handshake differs from the one in the peer's certificate.
        case siteMismatch
        /// The peer's clock differs from ours by more than the configured bound.
        case clockSkew
        /// The peer speaks another protocol or change-format version.
        case incompatibleVersion
        /// A frame could not be decoded.
        case malformedFrame
        /// A frame is larger than the configured maximum.
        case frameTooLarge
        /// A frame arrived that the session state does not allow (out of order, unexpected kind).
        case protocolViolation
        /// The peer refused the session and said why.
        case refusedByPeer
        /// The connection could not be made, or closed before the session completed.
        case connectionLost
        /// Nothing arrived from the peer within the idle timeout.
        case timeout
    }

    package let code: Code
    package let message: String
    package var description: String { message }

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    static func protocolViolation(_ rule: String) -> Self {
        Self(code: .protocolViolation, message: "sync protocol violation: \(rule)")
    }

    static func malformed(_ rule: String) -> Self {
        Self(code: .malformedFrame, message: "malformed sync frame: \(rule)")
    }

    package static func configuration(field: String, value: String, rule: String) -> Self {
        Self(code: .invalidConfiguration, message: "invalid \(field) '\(value)': \(rule)")
    }
}
