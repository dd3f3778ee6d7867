/// The free-text inputs: a school's name and *Uw naam* of the person who
/// accepts the terms. Both are trimmed, required and bounded. Length is
/// counted in Unicode scalars, as SQLite's `length()` in the schema does:
/// combining marks count, so a short-looking name cannot grow unbounded.
public enum TextRules {
    public static let schoolNameMaxLength = 200
    public static let personNameMaxLength = 100

    public static func schoolName(_ raw: String, field: String = "name") -> Result<String, Violation> {
        let name = raw.trimmingWhitespace()
        if name.isEmpty || name.containsControlCharacters {
            return .failure(
                Violation(
                    field: field,
                    reason: .schoolNameRequired,
                    message: "De naam van de school is verplicht (zonder stuurtekens)."
                )
            )
        }
        if name.unicodeScalars.count > schoolNameMaxLength {
            return .failure(
                Violation(
                    field: field,
                    reason: .schoolNameTooLong,
                    message:
                        "De naam van de school mag hoogstens \(schoolNameMaxLength) tekens lang zijn (nu \(name.unicodeScalars.count))."
                )
            )
        }
        return .success(name)
    }

    public static func personName(_ raw: String, field: String = "name") -> Result<String, Violation> {
        let name = raw.trimmingWhitespace()
        if name.isEmpty || name.containsControlCharacters {
            return .failure(
                Violation(
                    field: field,
                    reason: .nameRequired,
                    message:
                        "Uw naam is verplicht: de gemandateerde persoon die akkoord gaat met de gebruikersvoorwaarden."
                )
            )
        }
        if name.unicodeScalars.count > personNameMaxLength {
            return .failure(
                Violation(
                    field: field,
                    reason: .nameTooLong,
                    message:
                        "Uw naam mag hoogstens \(personNameMaxLength) tekens lang zijn (nu \(name.unicodeScalars.count))."
                )
            )
        }
        return .success(name)
    }
}

extension String {
    var containsControlCharacters: Bool {
        unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
