/// The free-text inputs a request stores: a school's name, *Uw naam* of
/// the person who accepts the terms, and the reason a koppeling ended.
/// Names are trimmed, required and bounded. Length is counted in Unicode
/// scalars, as SQLite's `length()` in the schema does: combining marks
/// count, so a short-looking name cannot grow unbounded.
///
/// None of them may hold a verification code (`looks_like_code`): every
/// reader of the register sees them, and administrators paste codes into
/// the wrong box.
public enum TextRules {
    public static let schoolNameMaxLength = 200
    public static let personNameMaxLength = 100
    public static let deactivationReasonMaxLength = 500

    public static func schoolName(_ raw: String, field: String = "name") -> Result<String, Violation> {
        name(
            raw,
            field: field,
            maxLength: schoolNameMaxLength,
            required: .schoolNameRequired,
            requiredMessage: "De naam van de school is verplicht: er moet een zichtbaar teken in staan.",
            tooLong: .schoolNameTooLong,
            label: "De naam van de school",
            codes: []
        )
    }

    /// `codes` are the verification codes the same request carries: the
    /// name may not hold one of them, whatever its shape.
    public static func personName(
        _ raw: String,
        field: String = "name",
        codes: [String] = []
    ) -> Result<String, Violation> {
        name(
            raw,
            field: field,
            maxLength: personNameMaxLength,
            required: .nameRequired,
            requiredMessage:
                "Uw naam is verplicht: de gemandateerde persoon die akkoord gaat met de gebruikersvoorwaarden.",
            tooLong: .nameTooLong,
            label: "Uw naam",
            codes: codes
        )
    }

    /// The optional reason given when a koppeling is ended: trimmed, empty
    /// is none, at most 500 characters, on one line (it is a cell of the
    /// register's CSV) and no code.
    public static func deactivationReason(_ raw: String?, field: String = "reason") -> Result<String?, Violation> {
        guard let reason = raw?.trimmingWhitespace(), !reason.isEmpty else { return .success(nil) }
        if reason.count > deactivationReasonMaxLength {
            return .failure(
                Violation(
                    field: field,
                    reason: .tooLong,
                    message: "De reden mag hoogstens \(deactivationReasonMaxLength) tekens lang zijn."
                )
            )
        }
        if let message = CatalogRules.controlCharacterMessage(reason, field: field, lineBreaksAllowed: false) {
            return .failure(Violation(field: field, reason: .controlCharacter, message: message))
        }
        if let refusal = codeRefusal(reason, field: field, label: "De reden", codes: []) { return .failure(refusal) }
        return .success(reason)
    }

    /// The part of `text` that is a verification code, or nil: one of
    /// `codes` (the request's own, compared in canonical form: the first
    /// six characters without regard to ASCII case, the rest exactly),
    /// wherever it stands, or a run of at least 20 ASCII letters and digits
    /// that starts with a BRIN6 (`[0-9]{2}[A-Za-z]{2}[0-9]{2}`).
    ///
    /// Invisible format characters (zero-width space, soft hyphen) are left
    /// out first: a listing shows the code without them. A run is maximal:
    /// letters and digits before or after it belong to it. It has no upper
    /// bound, although a code has at most 50 characters: a code glued to
    /// the word after it (`…Kd8RwVries`) is a longer run that still holds
    /// the whole code, and no name or reason has 50 letters and digits
    /// without a break. A request's own code shorter than 20 characters is
    /// not looked for: it is refused itself, and a short string would turn
    /// up in honest names.
    public static func codeLikePart(of text: String, codes: [String]) -> String? {
        let scalars = Array(text.unicodeScalars.filter { !$0.isInvisibleFormat })
        func string(_ part: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(part)) }
        for code in codes {
            let code = Array(code.unicodeScalars)
            guard code.count >= VerificationCode.minLength, code.count <= scalars.count else { continue }
            for start in 0...(scalars.count - code.count) where holds(scalars[start...], canonically: code) {
                return string(scalars[start..<(start + code.count)])
            }
        }
        var start = 0
        while start < scalars.count {
            guard scalars[start].isASCIIAlphanumeric else {
                start += 1
                continue
            }
            let end = scalars[start...].firstIndex { !$0.isASCIIAlphanumeric } ?? scalars.count
            let run = scalars[start..<end]
            if run.count >= VerificationCode.minLength, Brin6.isWellFormed(string(run.prefix(6)).asciiUppercased) {
                return string(run)
            }
            start = end
        }
        return nil
    }

    /// Whether `text` starts with `code` in canonical form: the first six
    /// characters without regard to ASCII case, the rest exactly.
    private static func holds(_ text: ArraySlice<Unicode.Scalar>, canonically code: [Unicode.Scalar]) -> Bool {
        guard text.count >= code.count else { return false }
        for (offset, (t, c)) in zip(text, code).enumerated() {
            let same = offset < 6 ? t.asciiCaseFolded == c.asciiCaseFolded : t == c
            if !same { return false }
        }
        return true
    }

    /// The refusal of free text that holds a code, or nil. The message
    /// shows the code only masked (its first six characters and its
    /// length), like every value that fails validation.
    static func codeRefusal(_ text: String, field: String, label: String, codes: [String]) -> Violation? {
        guard let part = codeLikePart(of: text, codes: codes) else { return nil }
        return Violation(
            field: field,
            reason: .looksLikeCode,
            message:
                "\(label) lijkt een verificatiecode te bevatten (\(part.masked)). Een verificatiecode is geheim: vul hem alleen in bij de verificatiecode, nooit in een naam of reden."
        )
    }

    /// One rule for both names. Refused with `name_characters`: control
    /// characters, bidirectional controls (they turn the rest of a listing
    /// around) and line or paragraph separators (they break its rows).
    /// Spaces and invisible format characters (zero-width space, BOM) are
    /// trimmed at both ends, and what is left must hold a visible
    /// character; otherwise the name is missing.
    static func name(
        _ raw: String,
        field: String,
        maxLength: Int,
        required: Reason,
        requiredMessage: String,
        tooLong: Reason,
        label: String,
        codes: [String]
    ) -> Result<String, Violation> {
        let trimmed = raw.trimmingWhitespace()
        if trimmed.containsControlCharacters {
            return .failure(
                Violation(field: field, reason: .nameCharacters, message: "\(label) mag geen stuurtekens bevatten.")
            )
        }
        if trimmed.unicodeScalars.contains(where: \.isLayoutControl) {
            return .failure(
                Violation(
                    field: field,
                    reason: .nameCharacters,
                    message:
                        "\(label) mag geen tekens voor de schrijfrichting of regelscheiding bevatten (U+202A–U+202E, U+2066–U+2069, U+2028, U+2029)."
                )
            )
        }
        let name = trimmed.trimmingInvisible()
        guard name.unicodeScalars.contains(where: { !$0.properties.isWhitespace && !$0.isInvisibleFormat }) else {
            return .failure(Violation(field: field, reason: required, message: requiredMessage))
        }
        if name.unicodeScalars.count > maxLength {
            return .failure(
                Violation(
                    field: field,
                    reason: tooLong,
                    message: "\(label) mag hoogstens \(maxLength) tekens lang zijn (nu \(name.unicodeScalars.count))."
                )
            )
        }
        // After the length check: a name beyond its bound is refused
        // anyway, and the search stays short.
        if let refusal = codeRefusal(name, field: field, label: label, codes: codes) { return .failure(refusal) }
        return .success(name)
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool { isASCII && UInt8(value).isASCIIAlphanumeric }

    /// `A`-`Z` as `a`-`z`, every other scalar as it is: the Kelvin sign is
    /// not a `k`.
    var asciiCaseFolded: Unicode.Scalar {
        isASCII && UInt8(value).isASCIIUpper ? Unicode.Scalar(UInt8(value) | 0x20) : self
    }

    /// Bidirectional embeddings, overrides and isolates, and the line and
    /// paragraph separators.
    var isLayoutControl: Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x2028 || value == 0x2029
    }

    /// A format character (Cf) that shows nothing: zero-width space and
    /// joiners, word joiner, BOM, soft hyphen.
    var isInvisibleFormat: Bool { properties.generalCategory == .format }
}

extension String {
    /// Without spaces and invisible format characters at either end.
    func trimmingInvisible() -> String {
        var scalars = Substring(self).unicodeScalars
        while let f = scalars.first, f.properties.isWhitespace || f.isInvisibleFormat { scalars.removeFirst() }
        while let l = scalars.last, l.properties.isWhitespace || l.isInvisibleFormat { scalars.removeLast() }
        return String(scalars)
    }

    var containsControlCharacters: Bool {
        unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
