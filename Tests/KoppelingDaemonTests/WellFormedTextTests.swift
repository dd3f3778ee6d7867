import Foundation
import NIOCore
import Testing

@testable import KoppelingDaemon

/// The request line's text check: valid UTF-8 and no control character but
/// JSON's white space, decided exactly as the standard library's
/// validating decoder decides UTF-8.
@Suite("Request lines: UTF-8 and control characters")
struct WellFormedTextTests {
    static func reference(_ bytes: [UInt8]) -> Bool {
        if bytes.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) { return false }
        return String(validating: bytes, as: UTF8.self) != nil
    }

    static func check(_ bytes: [UInt8]) -> Bool {
        Dispatcher.isWellFormedText(ByteBuffer(bytes: bytes))
    }

    @Test("edges of every UTF-8 form")
    func edges() {
        let cases: [[UInt8]] = [
            [], [0x41], [0x09, 0x0A, 0x0D, 0x20], [0x00], [0x1F], [0x7F],
            [0xC2, 0x80], [0xC1, 0xBF], [0xC0, 0x80], [0xDF, 0xBF], [0xC2], [0xC2, 0x41],
            [0xE0, 0xA0, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF],
            [0xE1, 0x80], [0xE1, 0x80, 0x41],
            [0xF0, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xBF], [0xF0, 0x90, 0x80],
            Array("école 👩🏽‍🏫 e\u{301}".utf8),
        ]
        for bytes in cases {
            #expect(Self.check(bytes) == Self.reference(bytes), "\(bytes.map { String($0, radix: 16) })")
        }
    }

    @Test("random bytes from a fixed seed agree with the standard library")
    func random() {
        var rng = SplitMix64(seed: 0x5EED_C0DE)
        var disagreements = 0
        var valid = 0
        for _ in 0..<200_000 {
            let count = Int(rng.next() % 8)
            // Mostly bytes around the interesting ranges.
            let bytes = (0..<count).map { _ -> UInt8 in
                let r = rng.next()
                switch r % 4 {
                case 0: return UInt8(truncatingIfNeeded: 0x20 + r % 0x60)
                case 1: return UInt8(truncatingIfNeeded: 0x80 + (r >> 8) % 0x40)
                case 2: return UInt8(truncatingIfNeeded: 0xC0 + (r >> 8) % 0x40)
                default: return UInt8(truncatingIfNeeded: r >> 16)
                }
            }
            let expected = Self.reference(bytes)
            if expected { valid += 1 }
            if Self.check(bytes) != expected { disagreements += 1 }
        }
        #expect(disagreements == 0)
        #expect(valid > 10_000)  // the sample reaches both answers
    }
}
