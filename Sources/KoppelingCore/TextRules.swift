/// The free-text inputs: a school's name and *Uw naam* of the person who
/// accepts the terms. Both are trimmed, required and bounded. Length is
/// counted in Unicode scalars, as SQLite's `length()` in the schema does:
/// combining marks count, so a short-looking name cannot grow unbounded.
public enum TextRules {
    public static let schoolNameMaxLength = 200
    public static let personNameMaxLength = 100

    public static func schoolName(_ raw: String, field: String = "name") -> Result<String, Violation> {
        name(
            raw,
            field: field,
            maxLength: schoolNameMaxLength,
            required: .schoolNameRequired,
            requiredMessage: "De naam van de school is verplicht: er moet een zichtbaar teken in staan.",
            tooLong: .schoolNameTooLong,
            label: "De naam van de school"
        )
    }

    public static func personName(_ raw: String, field: String = "name") -> Result<String, Violation> {
        name(
            raw,
            field: field,
            maxLength: personNameMaxLength,
            required: .nameRequired,
            requiredMessage:
                "Uw naam is verplicht: de gemandateerde persoon die akkoord gaat met de gebruikersvoorwaarden.",
            tooLong: .nameTooLong,
            label: "Uw naam"
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
        label: String
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
        return .success(name)
    }
}

extension Unicode.Scalar {
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
