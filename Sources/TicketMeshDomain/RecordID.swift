/// Ids of new records: time-ordered UUIDs (RFC 9562 version 7).
///
/// The first 48 bits are the creation time in milliseconds, the rest random. Ids made later sort
/// later, so a replica's B-trees keyed by row id (the registers, the change log's row index, the
/// query tables' children) grow at their right edge instead of touching a random page per insert:
/// at a million tickets that is the difference between appending and rewriting the file.
package enum RecordID {
    /// A new id for a record created at `millis` (ms since 1970).
    package static func make(at millis: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(at: millis, random: (generator.next(), generator.next()))
    }

    /// The id for `millis` with the given 128 random bits (only 74 are used): deterministic, for sample data.
    package static func make(at millis: Int64, random: (UInt64, UInt64)) -> String {
        let time = UInt64(clamping: max(0, millis)) & 0xFFFF_FFFF_FFFF
        let high = (time << 16) | 0x7000 | (random.0 & 0x0FFF)
        let low = (random.1 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let hex = hexDigits(high) + hexDigits(low)
        var id = ""
        id.reserveCapacity(36)
        for (offset, character) in hex.enumerated() {
            if offset == 8 || offset == 12 || offset == 16 || offset == 20 { id.append("-") }
            id.append(character)
        }
        return id
    }

    private static func hexDigits(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
