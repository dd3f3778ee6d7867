import Foundation
import Testing

@testable import KoppelingCore

@Suite("BRIN6")
struct Brin6Tests {
    @Test(
        "input is trimmed and upper-cased before it is checked",
        arguments: [
            (" 21qw00 ", "21QW00"),
            ("21QW00", "21QW00"),
            ("21qW01", "21QW01"),
            ("\t21qw00\n", "21QW00"),
            ("\u{00A0}99zz99\u{2003}", "99ZZ99"),
        ]
    )
    func normalises(raw: String, expected: String) {
        let parsed = Brin6.parse(raw)
        #expect(parsed.successValue?.value == expected)
        #expect(parsed.successValue?.description == expected)
    }

    @Test(
        "every malformed input is refused with brin6_format",
        arguments: [
            "",
            "   ",
            "21QW0",  // 5 characters
            "21QW000",  // 7 characters
            "QW2100",  // letters and digits swapped
            "2Q1W00",
            "21Q100",
            "21QWA0",
            "21QW0A",
            "A1QW00",
            "21 QW00",  // interior space
            "21-QW-00",
            "٢١QW٠٠",  // Arabic-Indic digits
            "２１QW００",  // full-width digits
            "21ＱＷ00",  // full-width letters
            "21ÄÖ00",  // non-ASCII upper-case letters
            "21QW00\u{0}",  // control character survives trimming
            "21ß00",  // Unicode upper-casing makes this "21SS00"
            "21ﬀ00",  // ligature upper-cases to "FF"
            "21qı00",  // dotless i upper-cases to "I"
        ]
    )
    func refusesMalformed(raw: String) throws {
        let violation = try #require(Brin6.parse(raw).failureValue)
        #expect(violation.reason == .brin6Format)
        #expect(violation.field == "brin6")
        #expect(!violation.message.isEmpty)
    }

    @Test func fieldNameIsTheCallers() throws {
        let violation = try #require(Brin6.parse("nope", field: "school").failureValue)
        #expect(violation.field == "school")
    }

    @Test func messageEchoesNoControlCharacters() throws {
        let violation = try #require(Brin6.parse("21\u{1B}[2JQW").failureValue)
        #expect(!violation.message.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    /// A right-to-left override or a line separator in a refused value
    /// would turn the rest of the message around on a terminal.
    @Test(arguments: ["2\u{202E}1QW00", "21\u{2066}QW", "21\u{2028}QW00"])
    func messageEchoesNoLayoutControls(_ raw: String) throws {
        let violation = try #require(Brin6.parse(raw).failureValue)
        #expect(
            !violation.message.unicodeScalars.contains { $0.isLayoutControl },
            "\(violation.message.debugDescription)"
        )
    }

    @Test func decodingNormalisesAndRefuses() throws {
        let decoded = try JSONDecoder().decode([Brin6].self, from: Data(#"[" 21qw00 "]"#.utf8))
        #expect(decoded == [brin("21QW00")])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Brin6].self, from: Data(#"["21QW0"]"#.utf8))
        }
        let encoded = try JSONEncoder().encode([brin("21qw00")])
        #expect(String(decoding: encoded, as: UTF8.self) == #"["21QW00"]"#)
    }

    @Test func ordersByValue() {
        #expect(brin("21QW00") < brin("21QW01"))
        #expect(brin("09ZZ99") < brin("21AA00"))
    }
}
