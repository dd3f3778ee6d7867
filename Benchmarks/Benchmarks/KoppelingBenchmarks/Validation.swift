import Benchmark
import KoppelingCore

/// The domain rules of KoppelingCore on the inputs of the activation dialog.
enum ValidationBenchmarks {
    static let today = LocalDate(year: 2026, month: 11, day: 29)!
    static let school: Brin6 = {
        guard case .success(let b) = Brin6.parse("21QW00") else { fatalError("21QW00 is not a BRIN6") }
        return b
    }()

    static let validActivation = ActivationInput(
        school: "21QW00",
        koppeling: "topdossier-eckid",
        name: "J. de Vries",
        agree: true,
        termsVersion: "2024.1",
        verificationCode: "21qw00yF67BfewMKku23Gh",
        startDate: nil
    )
    /// docs/protocol.md's badly filled-in dialog: six rules broken.
    static let invalidActivation = ActivationInput(
        school: "21QW00",
        koppeling: "topdossier-eckid",
        name: " ",
        agree: false,
        termsVersion: "2024.1",
        verificationCode: "21QW01-kort",
        startDate: "2020-01-01"
    )

    static func register() {
        Benchmark("Brin6.parse") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(Brin6.parse("21qw00"))
            }
        }
        Benchmark("VerificationCode.validate: valid") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(VerificationCode.validate("21qw00yF67BfewMKku23Gh", for: school))
            }
        }
        Benchmark("ActivationRules.validate: valid") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(ActivationRules.validate(validActivation, today: today))
            }
        }
        Benchmark("ActivationRules.validate: 6 violations") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(ActivationRules.validate(invalidActivation, today: today))
            }
        }
    }
}
