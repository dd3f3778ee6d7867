/// Valid verification codes that no activation on the server has used:
/// the school's BRIN6, a random tag for the run, the connection number and
/// a counter, padded with letters to the length the daemon expects.
struct CodeFactory {
    /// The letters and digits koppelingctl's generator uses, minus the
    /// look-alikes: a bench code must pass the same rules a person's does.
    static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".utf8)

    let runTag: String
    let connection: Int
    private var counter = 0

    init(runTag: String, connection: Int) {
        self.runTag = runTag
        self.connection = connection
    }

    static func randomTag(length: Int = 10) -> String {
        var rng = SystemRandomNumberGenerator()
        return String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
    }

    mutating func next(for brin6: String) -> String {
        counter += 1
        // 'x' separates the fields; only alphanumerics are allowed.
        var code = brin6 + runTag + "x" + String(connection, radix: 36) + "x" + String(counter, radix: 36)
        while code.utf8.count < 24 { code += "Q" }
        precondition(code.utf8.count <= 50, "verification code too long")
        return code
    }
}
