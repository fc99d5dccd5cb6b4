import Foundation
import PropertyBased
import Testing

@testable import TicketMeshDomain

func ms(_ iso: String) -> Int64 { try! Timestamps.parse(iso, field: "test") }

let shanghaiOffice = BusinessCalendar.officeHours(timeZone: "Asia/Shanghai")
let berlinOffice = BusinessCalendar.officeHours(timeZone: "Europe/Berlin")
let shanghaiNational = try! BusinessCalendar.parse(
    timeZone: "Asia/Shanghai", hours: ["mon-fri 09:00-18:00"], holidays: ["2026-10-01", "2026-10-02"])
let shanghaiNight = try! BusinessCalendar.parse(timeZone: "Asia/Shanghai", hours: ["mon-sun 22:00-06:00"], holidays: [])
let berlinAllDay = try! BusinessCalendar.parse(timeZone: "Europe/Berlin", hours: ["mon-sun 00:00-24:00"], holidays: [])

struct DueCase: Sendable, CustomTestStringConvertible {
    var name: String
    var calendar: BusinessCalendar?
    var start: String
    var minutes: Int
    var due: String
    var testDescription: String { name }
}

@Suite struct SLACalendarTests {
    static let cases: [DueCase] = [
        DueCase(name: "around the clock", calendar: nil, start: "2026-11-27T10:00:00Z", minutes: 120, due: "2026-11-27T12:00:00Z"),
        DueCase(
            name: "Shanghai, inside one working day", calendar: shanghaiOffice, start: "2026-11-25T02:00:00Z", minutes: 120,
            due: "2026-11-25T04:00:00Z"),
        DueCase(
            name: "Shanghai, Friday 17:00 over the weekend", calendar: shanghaiOffice, start: "2026-11-27T09:00:00Z", minutes: 120,
            due: "2026-11-30T02:00:00Z"),
        DueCase(
            name: "Shanghai, received overnight at 20:00", calendar: shanghaiOffice, start: "2026-11-25T12:00:00Z", minutes: 240,
            due: "2026-11-26T05:00:00Z"),
        DueCase(
            name: "Shanghai, received before opening", calendar: shanghaiOffice, start: "2026-11-29T23:00:00Z", minutes: 30,
            due: "2026-11-30T01:30:00Z"),
        DueCase(
            name: "Shanghai, received on Saturday", calendar: shanghaiOffice, start: "2026-11-28T03:00:00Z", minutes: 60,
            due: "2026-11-30T02:00:00Z"),
        DueCase(
            name: "Shanghai, National Day holidays then weekend", calendar: shanghaiNational, start: "2026-09-30T08:00:00Z",
            minutes: 480, due: "2026-10-05T07:00:00Z"),
        DueCase(
            name: "night shift, inside the shift over midnight", calendar: shanghaiNight, start: "2026-11-25T15:00:00Z",
            minutes: 240, due: "2026-11-25T19:00:00Z"),
        DueCase(
            name: "night shift, shift ends then resumes at 22:00", calendar: shanghaiNight, start: "2026-11-25T21:00:00Z",
            minutes: 120, due: "2026-11-26T15:00:00Z"),
        DueCase(
            name: "Berlin, Friday over the autumn DST change", calendar: berlinOffice, start: "2026-10-23T15:00:00Z", minutes: 120,
            due: "2026-10-26T09:00:00Z"),
        DueCase(
            name: "Berlin, Friday over the spring DST change", calendar: berlinOffice, start: "2026-03-27T16:00:00Z", minutes: 120,
            due: "2026-03-30T08:00:00Z"),
        DueCase(
            name: "Berlin, all-day calendar across the 25-hour day", calendar: berlinAllDay, start: "2026-10-24T10:00:00Z",
            minutes: 2880, due: "2026-10-26T10:00:00Z"),
        DueCase(
            name: "Berlin, all-day calendar across the 23-hour day", calendar: berlinAllDay, start: "2026-03-28T10:00:00Z",
            minutes: 2880, due: "2026-03-30T10:00:00Z"),
    ]

    @Test(arguments: cases)
    func dueTime(_ item: DueCase) {
        let time = ClockTime(calendar: item.calendar)
        let due = time.advance(from: ms(item.start), by: Int64(item.minutes) * 60_000)
        #expect(Timestamps.iso(due) == Timestamps.iso(ms(item.due)))
        #expect(time.elapsed(from: ms(item.start), to: due) == Int64(item.minutes) * 60_000)
    }

    @Test func elapsedCountsOnlyWorkingHours() {
        let time = ClockTime(calendar: shanghaiOffice)
        // Friday 17:00 to Monday 10:00 local is 2 working hours.
        #expect(time.elapsed(from: ms("2026-11-27T09:00:00Z"), to: ms("2026-11-30T02:00:00Z")) == 2 * 3_600_000)
        #expect(time.elapsed(from: ms("2026-11-28T00:00:00Z"), to: ms("2026-11-29T23:00:00Z")) == 0)
    }

    @Test func pausesStopTheClock() {
        let start = ms("2026-11-27T10:00:00Z")
        let time = ClockTime(calendar: nil, pauses: [.init(start: start + 1_800_000, end: start + 5_400_000)])
        #expect(time.advance(from: start, by: 7_200_000) == start + 10_800_000)
        #expect(time.elapsed(from: start, to: start + 10_800_000) == 7_200_000)
    }

    @Test func parsesOvernightAndRefusesBadInput() throws {
        #expect(shanghaiNight.hours["mon"] == [.init(start: 0, end: 360), .init(start: 1320, end: 1440)])
        #expect(throws: DomainError.self) { try BusinessCalendar.parse(timeZone: "Mars/Olympus", hours: ["mon 09:00-18:00"], holidays: []) }
        #expect(throws: DomainError.self) { try BusinessCalendar.parse(timeZone: "UTC", hours: ["funday 09:00-18:00"], holidays: []) }
        #expect(throws: DomainError.self) { try BusinessCalendar.parse(timeZone: "UTC", hours: ["mon 25:00-26:00"], holidays: []) }
        #expect(throws: DomainError.self) { try BusinessCalendar.parse(timeZone: "UTC", hours: [], holidays: []) }
        #expect(throws: DomainError.self) { try BusinessCalendar.parse(timeZone: "UTC", hours: ["mon 09:00-18:00"], holidays: ["1.10."]) }
    }

    static let calendars: [BusinessCalendar?] = [nil, shanghaiOffice, berlinOffice, shanghaiNational, shanghaiNight, berlinAllDay]
    static let starts = Gen.int64(in: ms("2025-01-01T00:00:00Z")...ms("2027-12-31T00:00:00Z"))
    static let durations = Gen.int64(in: 0...(5 * 1440 * 60_000))

    @Test func dueTimesNeverPrecedeTheStart() async {
        await propertyCheck(input: Gen.int(in: 0...(Self.calendars.count - 1)), Self.starts, Self.durations) { index, start, duration in
            let due = ClockTime(calendar: Self.calendars[index]).advance(from: start, by: duration)
            #expect(due >= start)
            #expect(due >= start + (Self.calendars[index] == nil ? duration : 0))
        }
    }

    @Test func businessHoursDueIsNeverEarlierThanAroundTheClock() async {
        await propertyCheck(input: Gen.int(in: 1...(Self.calendars.count - 1)), Self.starts, Self.durations) { index, start, duration in
            let business = ClockTime(calendar: Self.calendars[index]).advance(from: start, by: duration)
            let straight = ClockTime(calendar: nil).advance(from: start, by: duration)
            #expect(business >= straight)
        }
    }

    @Test func elapsedInvertsAdvance() async {
        await propertyCheck(input: Gen.int(in: 0...(Self.calendars.count - 1)), Self.starts, Self.durations) { index, start, duration in
            let time = ClockTime(calendar: Self.calendars[index])
            #expect(time.elapsed(from: start, to: time.advance(from: start, by: duration)) == duration)
        }
    }

    @Test func pausesNeverMakeADueTimeEarlier() async {
        await propertyCheck(input: Self.starts, Gen.int64(in: 0...86_400_000), Gen.int64(in: 0...86_400_000), Self.durations) {
            start, offset, length, duration in
            let plain = ClockTime(calendar: shanghaiOffice).advance(from: start, by: duration)
            let paused = ClockTime(calendar: shanghaiOffice, pauses: [.init(start: start + offset, end: start + offset + length)])
                .advance(from: start, by: duration)
            #expect(paused >= plain)
        }
    }
}
