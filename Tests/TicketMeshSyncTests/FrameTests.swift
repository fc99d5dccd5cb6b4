import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
import TicketMeshDomain
import TicketMeshReplication
import TicketMeshSync

/// Frames round-trip, the decoder cuts them from any byte split, and bad bytes are refused by name.
struct FrameTests {
    static let sh = SiteCode(trusted: "SH")
    static let changes: [Change] = [
        Change(
            origin: sh,
            seq: 1,
            hlc: HLC(physical: 1_700_000_000_000, logical: 0),
            entity: "ticket",
            rowID: "t-1",
            field: "summary",
            value: .text("打印机卡纸")
        ),
        Change(
            origin: sh,
            seq: 2,
            hlc: HLC(physical: 1_700_000_000_001, logical: 3),
            entity: "ticket",
            rowID: "t-1",
            field: "tier",
            value: .int(2),
            base: Version(hlc: HLC(physical: 1_700_000_000_000, logical: 0), site: SiteCode(trusted: "HQ")),
            actor: "li.wei"
        ),
        Change(
            origin: SiteCode(trusted: "BJ"),
            seq: 9,
            hlc: HLC(physical: 1, logical: 1),
            entity: "entry",
            rowID: "e-9",
            field: "body",
            value: .null
        ),
    ]

    /// Two blocks: SH 1–2 (one signed-looking, with a certificate blob) and BJ 9.
    static func blocks() throws -> [Block] {
        [
            try Block(previous: .zero, changes: Array(changes[0..<2]), signature: [UInt8](repeating: 7, count: 64), certificate: [1, 2, 3]),
            try Block(previous: BlockHash([UInt8](repeating: 9, count: 32))!, changes: [changes[2]]),
        ]
    }

    static func frames() throws -> [Frame] {
        [
            .hello(
                Hello(
                    site: sh,
                    now: HLC(physical: 1_700_000_000_000, logical: 0),
                    heads: ChainHeads([
                        sh: ChainHead(seq: 12, hash: BlockHash([UInt8](repeating: 1, count: 32))!),
                        SiteCode(trusted: "HQ"): ChainHead(seq: 4, hash: .zero),
                    ]),
                    wanted: [ChangeRef(origin: sh, seq: 3), ChangeRef(origin: SiteCode(trusted: "HQ"), seq: 1)]
                )
            ),
            .batch(Batch(number: 1, blocks: try blocks())),
            .ack(Ack(number: 7, applied: 990, duplicates: 8, refused: 2)),
            .done(batches: 3),
            .bye,
            .refuse("clock skew of 600000 ms with peer SH exceeds the bound of 300000 ms"),
        ]
    }

    @Test func framesRoundTrip() throws {
        for frame in try Self.frames() {
            var buffer = frame.encoded()
            let length = buffer.readInteger(as: UInt32.self)
            #expect(length.map(Int.init) == buffer.readableBytes)
            #expect(try Frame(decoding: buffer) == frame)
        }
    }

    @Test func batchSizeEstimateMatchesEncoding() throws {
        let blocks = try Self.blocks()
        let batch = Batch(number: 1, blocks: blocks)
        let estimated = blocks.map(BlockCodec.encodedSize(of:)).reduce(0, +)
        // length prefix + kind + number + count + blocks
        #expect(Frame.batch(batch).encoded().readableBytes == 4 + 1 + 4 + 4 + estimated)
    }

    @Test func decoderCutsFramesFromAnySplit() throws {
        var stream = ByteBuffer()
        var expected: [ByteBuffer] = []
        for frame in try Self.frames() {
            var encoded = frame.encoded()
            stream.writeImmutableBuffer(encoded)
            encoded.moveReaderIndex(forwardBy: 4)
            expected.append(encoded)
        }
        // Fed whole, byte by byte, and in the other splits the verifier tries.
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: [(stream, expected)]) {
            FrameDecoder(maxFrameBytes: 1 << 20)
        }
    }

    @Test func decoderRefusesOversizedFrameBeforeBuffering() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameBytes: 1024)))
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(1025))
        #expect {
            try channel.writeInbound(buffer)
        } throws: { error in
            (error as? SyncError)?.code == .frameTooLarge
                && "\(error)".contains("exceeds the maximum frame size of 1024")
        }
    }

    @Test func everyTruncationOfABatchIsRefused() throws {
        var encoded = Frame.batch(Batch(number: 1, blocks: try Self.blocks())).encoded()
        encoded.moveReaderIndex(forwardBy: 4)
        let bytes = Array(encoded.readableBytesView)
        for cut in 1..<bytes.count {
            #expect(throws: SyncError.self) { try Frame(decoding: ByteBuffer(bytes: bytes[0..<cut])) }
        }
    }

    @Test(arguments: [
        ([UInt8]([42]), "unknown frame kind 42"),
        ([1] + Array("XXXX".utf8) + [0, 1, 0, 1], "does not speak the TicketMesh sync protocol"),
        ([3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 9], "unexpected trailing bytes"),
        ([2, 0, 0, 0, 1, 255, 255, 255, 255], "does not fit"),
    ])
    func malformedBodiesAreRefusedByName(_ bytes: [UInt8], _ message: String) {
        #expect {
            try Frame(decoding: ByteBuffer(bytes: bytes))
        } throws: { error in
            (error as? SyncError)?.code == .malformedFrame && "\(error)".contains(message)
        }
    }
}
