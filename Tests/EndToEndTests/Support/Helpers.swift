import Foundation

/// Small helpers shared by the end-to-end suites.
enum E2E {
    /// A valid verification code for `school`: the BRIN6 then random
    /// letters and digits, `length` characters in all.
    static func code(for school: String, length: Int = 28) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var rng = SystemRandomNumberGenerator()
        let code = school + String((0..<(length - school.count)).map { _ in alphabet.randomElement(using: &rng)! })
        // A code made for a test is a code the test uses, however it is sent.
        SecretCanary.current?.recordCode(code)
        return code
    }

    /// Tomorrow's date (YYYY-MM-DD) in `zone`, as the daemon computes it.
    static func tomorrow(in zone: String = "Europe/Amsterdam") -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        let now = Date()
        let today = calendar.startOfDay(for: now)
        let next = calendar.date(byAdding: .day, value: 1, to: today)!
        let c = calendar.dateComponents([.year, .month, .day], from: next)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    static func object(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// `error.code` of a reply, if it is an error.
    static func errorCode(_ reply: [String: Any]) -> Int? {
        (reply["error"] as? [String: Any])?["code"] as? Int
    }

    static func errorReason(_ reply: [String: Any]) -> String? {
        ((reply["error"] as? [String: Any])?["data"] as? [String: Any])?["reason"] as? String
    }

    static func errorFields(_ reply: [String: Any]) -> [String] {
        ((reply["error"] as? [String: Any])?["data"] as? [String: Any])?["fields"] as? [String] ?? []
    }

    /// Every `reason` in `error.data.violations`.
    static func violationReasons(_ reply: [String: Any]) -> [String] {
        let violations =
            ((reply["error"] as? [String: Any])?["data"] as? [String: Any])?["violations"] as? [[String: Any]] ?? []
        return violations.compactMap { $0["reason"] as? String }
    }

    /// The `activated` mark of each available koppeling in an overview.
    static func activatedMarks(_ overview: [String: Any]) -> [String: Bool] {
        var marks: [String: Bool] = [:]
        for category in overview["available"] as? [[String: Any]] ?? [] {
            for k in category["koppelingen"] as? [[String: Any]] ?? [] {
                if let id = k["id"] as? String, let activated = k["activated"] as? Bool { marks[id] = activated }
            }
        }
        return marks
    }

    /// A JSON string literal for `s` (quotes and escapes included).
    static func literal(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }

    /// Regular files under `directory`, recursively.
    static func regularFiles(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = directory + "/" + relative
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { files.append(path) }
        }
        return files
    }

    /// Permission bits of `path`, or nil when it does not exist.
    static func mode(_ path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode) & 0o7777
    }
}

extension Data {
    func containsText(_ needle: String) -> Bool {
        range(of: Data(needle.utf8)) != nil
    }
}

extension Ctl.Result {
    /// stdout parsed as a JSON object (for `--json`).
    var json: [String: Any]? { E2E.object(stdout) }

    /// Everything the command printed, for failure messages.
    var transcript: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}
