import Testing

@testable import KoppelingCore

@Suite("School name and person name")
struct TextRulesTests {
    @Test func schoolNameIsTrimmed() {
        #expect(TextRules.schoolName("  OBS De Regenboog \n").successValue == "OBS De Regenboog")
    }

    @Test("school name is required", arguments: ["", " ", "\t\n", "\u{00A0}\u{2003}"])
    func schoolNameRequired(raw: String) throws {
        let v = try #require(TextRules.schoolName(raw).failureValue)
        #expect(v.reason == .schoolNameRequired)
        #expect(v.field == "name")
    }

    @Test func schoolNameLengthBoundary() throws {
        #expect(TextRules.schoolName(String(repeating: "a", count: 200)).successValue?.count == 200)
        // Surrounding white space does not count: the limit is on the trimmed name.
        #expect(TextRules.schoolName("  " + String(repeating: "a", count: 200) + "  ").successValue?.count == 200)
        let v = try #require(TextRules.schoolName(String(repeating: "a", count: 201)).failureValue)
        #expect(v.reason == .schoolNameTooLong)
    }

    @Test func schoolNameCountsCharactersNotBytes() {
        // 200 characters but 400 UTF-8 bytes: a Dutch name with diacritics must fit.
        #expect(TextRules.schoolName(String(repeating: "ë", count: 200)).successValue != nil)
        #expect(TextRules.schoolName(String(repeating: "ë", count: 201)).failureValue?.reason == .schoolNameTooLong)
    }

    @Test(
        "control characters are refused in a school name",
        arguments: [
            "De\u{0}Regenboog", "De\u{7}Regenboog", "De\nRegenboog", "De\tRegenboog",
            "De\u{1B}[31mRegenboog", "De\u{7F}Regenboog", "De\u{85}Regenboog",
        ]
    )
    func schoolNameControlCharacters(raw: String) {
        // Present, but with a character that may not be there: its own reason.
        #expect(TextRules.schoolName(raw).failureValue?.reason == .nameCharacters)
    }

    @Test func personNameIsTrimmed() {
        #expect(TextRules.personName("\tJ. de Vries  ").successValue == "J. de Vries")
    }

    @Test("person name is required", arguments: ["", "  ", "\n"])
    func personNameRequired(raw: String) {
        #expect(TextRules.personName(raw).failureValue?.reason == .nameRequired)
    }

    @Test func personNameLengthBoundary() {
        #expect(TextRules.personName(String(repeating: "b", count: 100)).successValue?.count == 100)
        #expect(TextRules.personName(" " + String(repeating: "b", count: 100) + " ").successValue?.count == 100)
        #expect(TextRules.personName(String(repeating: "b", count: 101)).failureValue?.reason == .nameTooLong)
    }

    @Test(
        "control characters are refused in a person name",
        arguments: ["Jan\u{0}", "Jan\r\nde Vries", "Jan\u{8}\u{8}\u{8}Piet", "Jan\u{9B}"]
    )
    func personNameControlCharacters(raw: String) {
        #expect(TextRules.personName(raw).failureValue?.reason == .nameCharacters)
    }

    @Test(
        "a name of only invisible characters is missing",
        arguments: ["\u{200B}", "\u{FEFF}", " \u{200B} \u{FEFF} ", "\u{2060}\u{200D}", "\u{00AD}"]
    )
    func invisibleOnlyIsMissing(raw: String) {
        #expect(TextRules.schoolName(raw).failureValue?.reason == .schoolNameRequired)
        #expect(TextRules.personName(raw).failureValue?.reason == .nameRequired)
    }

    @Test func invisibleCharactersAreTrimmedAtTheEnds() {
        #expect(TextRules.schoolName("\u{FEFF}OBS De Regenboog\u{200B} ").successValue == "OBS De Regenboog")
        // Inside a name a joiner is part of it (emoji sequences, Indic scripts).
        #expect(TextRules.personName("J\u{200D}an").successValue == "J\u{200D}an")
    }

    @Test(
        "bidirectional controls and line separators are refused",
        arguments: [
            "OBS \u{202E}eman", "\u{202A}OBS", "OBS\u{202B}", "OBS \u{202C}x", "OBS \u{202D}x", "\u{2066}OBS\u{2069}",
            "OBS\u{2067}x", "OBS\u{2068}x", "OBS\u{2028}De Regenboog", "OBS\u{2029}x",
        ]
    )
    func layoutControlsAreRefused(raw: String) {
        #expect(TextRules.schoolName(raw).failureValue?.reason == .nameCharacters)
        #expect(TextRules.personName(raw).failureValue?.reason == .nameCharacters)
    }

    @Test func fieldNameIsTheCallers() {
        #expect(TextRules.personName("", field: "accepted_by").failureValue?.field == "accepted_by")
        #expect(TextRules.schoolName("", field: "school_name").failureValue?.field == "school_name")
    }
}

/// Found by the socket fuzzer: 200 characters with combining marks passed
/// the rule but broke the schema's CHECK (SQLite counts code points).
@Suite("Names with combining marks")
struct CombiningMarkNameTests {
    @Test func lengthCountsUnicodeScalarsLikeTheSchema() {
        let name = String(repeating: "e\u{301}", count: 101)  // 101 characters, 202 scalars
        #expect(name.count == 101)
        guard case .failure(let v) = TextRules.schoolName(name) else {
            Issue.record("a name of 202 code points must be refused")
            return
        }
        #expect(v.reason == .schoolNameTooLong)
        guard case .failure = TextRules.personName(String(repeating: "a\u{300}", count: 51)) else {
            Issue.record("a person name of 102 code points must be refused")
            return
        }
    }
}
