import NIOCore

/// Cuts the inbound byte stream into frames at their u32 length prefix; refuses oversized frames.
///
/// Runs on the event loop: it only frames (`Frame(decoding:)` decodes in the session task). Decoding a frame's body happens in the session task.
package struct FrameDecoder: ByteToMessageDecoder {
    package typealias InboundOut = ByteBuffer

    /// The largest frame body accepted, in bytes.
    let maxFrameBytes: Int

    package init(maxFrameBytes: Int) { self.maxFrameBytes = maxFrameBytes }

    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard length >= 1 else { throw SyncError.malformed("empty frame") }
        guard Int(length) <= maxFrameBytes else {
            throw SyncError(
                code: .frameTooLarge,
                message: "sync frame of \(length) bytes exceeds the maximum frame size of \(maxFrameBytes) bytes"
            )
        }
        guard buffer.readableBytes >= Frame.prefixBytes + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: Frame.prefixBytes)
        guard let body = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(body))
        return .continue
    }

    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Closes the channel with `SyncError.timeout` when `IdleStateHandler` reports no reads for its period.
final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.fireErrorCaught(SyncError(code: .timeout, message: "no data from the peer within the idle timeout"))
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
