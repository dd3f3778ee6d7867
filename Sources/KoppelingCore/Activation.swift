/// What the activation dialog asks for (step 3), before it is checked.
/// Printing it never shows the verification code.
/// What `koppeling.activate` carries: decoded from the request's params
/// as it is (the one type for the wire and the rules), and never printed
/// with its code.
public struct ActivationInput: Sendable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var school: String
    public var koppeling: String
    public var name: String
    public var agree: Bool
    public var verificationCode: String
    public var startDate: String?

    public init(
        school: String,
        koppeling: String,
        name: String,
        agree: Bool,
        verificationCode: String,
        startDate: String?
    ) {
        self.school = school
        self.koppeling = koppeling
        self.name = name
        self.agree = agree
        self.verificationCode = verificationCode
        self.startDate = startDate
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case school = "brin6"
        case koppeling, name, agree
        case verificationCode = "verification_code"
        case startDate = "start_date"
    }

    // Unchecked, even the first six characters may be secret: show the length only.
    private var hiddenCode: String { "<verborgen, \(verificationCode.unicodeScalars.count) tekens>" }

    public var description: String {
        "ActivationInput(school: \(school.debugDescription), koppeling: \(koppeling.debugDescription), "
            + "name: \(name.debugDescription), agree: \(agree), verificationCode: \(hiddenCode), "
            + "startDate: \(startDate.map(\.debugDescription) ?? "nil"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "school": school, "koppeling": koppeling, "name": name, "agree": agree,
                "verificationCode": hiddenCode, "startDate": startDate as Any,
            ]
        )
    }
}

/// An activation request that passed every rule that needs no stored state.
public struct ValidatedActivation: Sendable {
    public let school: Brin6
    public let koppeling: String
    public let acceptedByName: String
    public let startDate: LocalDate
    public let code: VerificationCode
}

public enum ActivationRules {
    /// The latest start date: the same day two years ahead (29 February
    /// becomes 28 February). Further out is a typo (`2062` for `2026`), and
    /// its ECKiD import would wait for years.
    public static func latestStartDate(today: LocalDate) -> LocalDate {
        LocalDate(year: today.year + 2, month: today.month, day: today.day)
            ?? LocalDate(year: today.year + 2, month: today.month, day: today.day - 1)
            ?? today.adding(days: 730)
    }

    /// Checks every input rule at once and reports all that fail. `today`
    /// is the local date in the daemon's zone.
    public static func validate(
        _ input: ActivationInput,
        today: LocalDate
    ) -> Result<ValidatedActivation, KoppelingError> {
        var violations: [Violation] = []
        let school: Brin6?
        switch Brin6.parse(input.school) {
        case .success(let b): school = b
        case .failure(let v):
            school = nil
            violations.append(v)
        }
        let koppeling = input.koppeling.trimmingWhitespace().lowercased()
        if koppeling.isEmpty {
            violations.append(Violation(field: "koppeling", reason: .required, message: "Kies een koppeling."))
        }
        var name = ""
        switch TextRules.personName(input.name) {
        case .success(let n): name = n
        case .failure(let v): violations.append(v)
        }
        if !input.agree {
            violations.append(
                Violation(
                    field: "agree",
                    reason: .agreementRequired,
                    message:
                        "Vink 'Voor akkoord' aan: zonder akkoord met de gebruikersvoorwaarden kan de koppeling niet worden geactiveerd."
                )
            )
        }
        var startDate = today
        if let raw = input.startDate {
            if let d = LocalDate(iso: raw.trimmingWhitespace()) {
                startDate = d
                if d < today {
                    violations.append(
                        Violation(
                            field: "start_date",
                            reason: .startDateInPast,
                            message: "De startdatum \(d) ligt in het verleden; kies vandaag (\(today)) of later."
                        )
                    )
                } else if ActivationRules.latestStartDate(today: today) < d {
                    violations.append(
                        Violation(
                            field: "start_date",
                            reason: .startDateTooFar,
                            message:
                                "De startdatum \(d) ligt meer dan twee jaar vooruit; kies uiterlijk \(ActivationRules.latestStartDate(today: today))."
                        )
                    )
                }
            } else {
                violations.append(
                    Violation(
                        field: "start_date",
                        reason: .startDateFormat,
                        message: "De startdatum moet een bestaande datum zijn in de vorm JJJJ-MM-DD."
                    )
                )
            }
        }
        var code: VerificationCode?
        if let school {
            switch VerificationCode.validate(input.verificationCode, for: school) {
            case .success(let c): code = c
            case .failure(let e): violations += e.violations
            }
        } else {
            // Without a valid school the prefix cannot be judged; the
            // other rules on the code still are.
            let placeholder = Brin6(unchecked: String(input.verificationCode.prefix(6)).uppercased())
            if case .failure(let e) = VerificationCode.validate(input.verificationCode, for: placeholder) {
                violations += e.violations.filter { $0.reason != .verificationCodePrefix }
            }
        }
        guard violations.isEmpty, let school, let code else { return .failure(.rules(violations)) }
        return .success(
            ValidatedActivation(
                school: school,
                koppeling: koppeling,
                acceptedByName: name,
                startDate: startDate,
                code: code
            )
        )
    }
}
