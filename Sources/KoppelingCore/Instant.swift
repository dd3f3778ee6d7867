#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// RFC 3339 instants in UTC, `2026-11-29T05:18:54Z`, without a formatter.
public enum Instant {
    public static func rfc3339(_ date: Date) -> String {
        let t = Int(date.timeIntervalSince1970.rounded(.down))
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(LocalDate(dayNumber: days))T\(pad(secs / 3600)):\(pad(secs / 60 % 60)):\(pad(secs % 60))Z"
    }

    /// The same instant as the wall clock of a zone `offset` seconds east
    /// of UTC reads it, with that offset: `2026-12-01T09:22:05+01:00`.
    public static func rfc3339(_ date: Date, offset: Int) -> String {
        let t = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        let local = rfc3339(Date(timeIntervalSince1970: Double(t)))
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return local.dropLast() + "\(sign)\(pad(minutes / 60)):\(pad(minutes % 60))"
    }

    public static func parse(_ s: String) -> Date? {
        // Accepts what rfc3339 writes, and a plain date meaning its UTC
        // midnight. No second 60: the register's clock never writes a leap
        // second, and `:60` would silently mean the next minute's `:00`.
        if let d = LocalDate(iso: s) { return Date(timeIntervalSince1970: Double(d.dayNumber) * 86400) }
        let u = Array(s.utf8)
        // Int("+1") and Int("-1") parse: insist on digits.
        guard u.count == 20, [11, 12, 14, 15, 17, 18].allSatisfy({ u[$0].isASCIIDigit }),
            u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":"),
            u[16] == UInt8(ascii: ":"), u[19] == UInt8(ascii: "Z"),
            let day = LocalDate(iso: String(decoding: u[0..<10], as: UTF8.self)),
            let h = Int(String(decoding: u[11..<13], as: UTF8.self)), h < 24,
            let m = Int(String(decoding: u[14..<16], as: UTF8.self)), m < 60,
            let sec = Int(String(decoding: u[17..<19], as: UTF8.self)), sec < 60
        else { return nil }
        return Date(timeIntervalSince1970: Double(day.dayNumber * 86400 + h * 3600 + m * 60 + sec))
    }
}
