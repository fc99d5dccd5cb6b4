import Foundation
import Testing

@testable import TicketMeshServer

struct PageFormatTests {
    @Test(arguments: [0, 59_999, 951_782_400_000, 1_795_000_000_000, 1_800_000_000_123, 4_102_444_799_000, -86_400_001])
    func timeMatchesDateFormatter(millis: Int64) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = WebUI.serverTimeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let expected = formatter.string(from: Date(timeIntervalSince1970: (Double(millis) / 1000).rounded(.down)))
        #expect(WebUI.time(millis) == expected)
        #expect(WebUI.time(nil) == "")
    }
}
