import Foundation
import KoppelingTime
import Testing

@testable import KoppelingCore

@Suite("Local date")
struct LocalDateTests {
    @Test func parsesISODates() throws {
        let d = try #require(LocalDate(iso: "2026-05-12"))
        #expect((d.year, d.month, d.day) == (2026, 5, 12))
        #expect(d.description == "2026-05-12")
        #expect(LocalDate(iso: "0001-01-01")?.description == "0001-01-01")
        #expect(LocalDate(iso: "9999-12-31")?.description == "9999-12-31")
    }

    @Test func leapYears() {
        #expect(LocalDate(iso: "2024-02-29") != nil)
        #expect(LocalDate(iso: "2000-02-29") != nil)
        #expect(LocalDate(iso: "2026-02-29") == nil)
        #expect(LocalDate(iso: "2100-02-29") == nil)
        #expect(LocalDate(iso: "1900-02-29") == nil)
        #expect(LocalDate(iso: "2024-02-30") == nil)
    }

    @Test(
        "malformed or impossible dates are refused",
        arguments: [
            "", "2026-5-12", "2026-05-1", "26-05-12", "20260-05-12", "2026/05/12", "2026-05-12 ",
            " 2026-05-12", "2026-00-12", "2026-13-12", "2026-05-00", "2026-04-31", "2026-06-31",
            "0000-01-01", "+026-05-12", "2026-+5-12", "2026-05--1", "٢٠٢٦-05-12", "２０２６-05-12",
            "2026-05-12T00:00:00Z", "yyyy-mm-dd",
        ]
    )
    func refusesMalformed(raw: String) {
        #expect(LocalDate(iso: raw) == nil)
    }

    @Test func componentInitialiserChecksTheCalendar() {
        #expect(LocalDate(year: 2026, month: 4, day: 30) != nil)
        #expect(LocalDate(year: 2026, month: 4, day: 31) == nil)
        #expect(LocalDate(year: 0, month: 1, day: 1) == nil)
        #expect(LocalDate(year: 10000, month: 1, day: 1) == nil)
        #expect(LocalDate(year: 2026, month: 1, day: 0) == nil)
    }

    @Test func knownDayNumbers() {
        #expect(day("1970-01-01").dayNumber == 0)
        #expect(day("1969-12-31").dayNumber == -1)
        #expect(day("2000-01-01").dayNumber == 10_957)
        #expect(day("2026-03-29").dayNumber == 20_541)
        #expect(LocalDate(dayNumber: 20_541) == day("2026-03-29"))
        #expect(LocalDate(dayNumber: -719_162) == day("0001-01-01"))
    }

    @Test func dayNumberAgreesWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for iso in ["1900-03-01", "1970-01-01", "1999-12-31", "2024-02-29", "2026-10-25", "2100-03-01", "2400-02-29"] {
            let d = day(iso)
            let date = calendar.date(from: DateComponents(year: d.year, month: d.month, day: d.day))!
            #expect(Double(d.dayNumber) * 86_400 == date.timeIntervalSince1970, "\(iso)")
        }
    }

    /// Walks every day from 0001-01-01 to 9999-12-31 with an independent
    /// calendar and checks both conversions at each one.
    @Test func dayNumberRoundTripsOverTheWholeRange() {
        func length(_ month: Int, _ year: Int) -> Int {
            let leap = year % 400 == 0 || (year % 4 == 0 && year % 100 != 0)
            return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        }
        var (y, m, d) = (1, 1, 1)
        var n = day("0001-01-01").dayNumber
        var mismatches: [String] = []
        while y <= 9999 {
            let fromNumber = LocalDate(dayNumber: n)
            if (fromNumber.year, fromNumber.month, fromNumber.day) != (y, m, d)
                || LocalDate(year: y, month: m, day: d)?.dayNumber != n
            {
                mismatches.append("\(y)-\(m)-\(d) / \(n)")
                if mismatches.count > 10 { break }
            }
            n += 1
            d += 1
            if d > length(m, y) {
                d = 1
                m += 1
            }
            if m > 12 {
                m = 1
                y += 1
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(n - 1 == day("9999-12-31").dayNumber)
    }

    @Test func addingDays() {
        #expect(day("2024-02-28").adding(days: 1) == day("2024-02-29"))
        #expect(day("2024-02-28").adding(days: 2) == day("2024-03-01"))
        #expect(day("2026-02-28").adding(days: 1) == day("2026-03-01"))
        #expect(day("2026-12-31").adding(days: 1) == day("2027-01-01"))
        #expect(day("2027-01-01").adding(days: -1) == day("2026-12-31"))
        #expect(day("2026-03-01").adding(days: -1) == day("2026-02-28"))
        #expect(day("2026-05-12").adding(days: 0) == day("2026-05-12"))
        #expect(day("2026-05-12").adding(days: 365) == day("2027-05-12"))
        #expect(day("2024-01-01").adding(days: 366) == day("2025-01-01"))
        #expect(day("1970-01-01").adding(days: -1) == day("1969-12-31"))
    }

    @Test func ordering() {
        #expect(day("2026-05-11") < day("2026-05-12"))
        #expect(day("2025-12-31") < day("2026-01-01"))
        #expect(!(day("2026-05-12") < day("2026-05-12")))
        #expect(
            [day("2026-02-01"), day("2025-12-31"), day("2026-01-15")].sorted()
                == [day("2025-12-31"), day("2026-01-15"), day("2026-02-01")]
        )
    }

    @Test func codableAsISOString() throws {
        let data = try JSONEncoder().encode([day("0987-06-05")])
        #expect(String(decoding: data, as: UTF8.self) == #"["0987-06-05"]"#)
        #expect(try JSONDecoder().decode([LocalDate].self, from: Data(#"["2024-02-29"]"#.utf8)) == [day("2024-02-29")])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([LocalDate].self, from: Data(#"["2026-02-30"]"#.utf8))
        }
    }
}

@Suite("Local time of day")
struct LocalTimeTests {
    @Test func parsesHHMM() {
        #expect(LocalTime("00:05") == LocalTime(hour: 0, minute: 5))
        #expect(LocalTime("23:59")?.secondsIntoDay == 86_340)
        #expect(LocalTime("02:30")?.description == "02:30")
        #expect(LocalTime(hour: 7, minute: 3)?.description == "07:03")
    }

    @Test(
        "malformed times are refused",
        arguments: [
            "", "0:05", "00:5", "24:00", "12:60", "12-30", "1230", "12:30:00", " 12:30", "+1:05",
            "-0:05", "١٢:٣٠", "１２:３０", "ab:cd", "12:", ":30",
        ]
    )
    func refusesMalformed(raw: String) {
        #expect(LocalTime(raw) == nil)
    }
}
