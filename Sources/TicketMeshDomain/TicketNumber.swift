/// The human-readable ticket number `CS-YYYYMMDD-SITE-NNNN` (R1.3).
///
/// Unique across sites without coordination because the site code is part of it and the
/// serial is per site and day, allocated in the same transaction as the ticket.
package struct TicketNumber: Hashable, Sendable, CustomStringConvertible {
    package let day: String
    package let site: SiteCode
    package let serial: Int

    /// - Parameters:
    ///   - day: `YYYYMMDD` in the site's calendar.
    ///   - serial: 1-based; printed with at least four digits.
    package init(day: String, site: SiteCode, serial: Int) {
        precondition(day.count == 8 && day.allSatisfy(\.isASCII) && day.allSatisfy(\.isNumber), "day must be YYYYMMDD")
        precondition(serial > 0, "serial is 1-based")
        self.day = day
        self.site = site
        self.serial = serial
    }

    package var description: String {
        let digits = String(serial)
        let padded = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return "CS-\(day)-\(site.rawValue)-\(padded)"
    }

    /// Parses `CS-YYYYMMDD-SITE-NNNN`; returns nil for anything else.
    package init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "CS", parts[1].count == 8, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
            let site = try? SiteCode(parts[2]), parts[3].count >= 4, parts[3].allSatisfy({ $0.isASCII && $0.isNumber }),
            let serial = Int(parts[3]), serial > 0
        else { return nil }
        self.init(day: parts[1], site: site, serial: serial)
    }
}
