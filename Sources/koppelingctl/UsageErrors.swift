import ArgumentParser

/// Usage errors in Dutch, with a suggestion for a mistyped subcommand or
/// option. ArgumentParser's own messages are English and fixed: each form
/// it writes (swift-argument-parser's UsageGenerator) is matched here and
/// said again in Dutch; a message koppelingctl wrote itself (a
/// `ValidationError`) is Dutch already and passes through.
enum UsageErrors {
    /// The first word that is not a subcommand where one is expected, with
    /// the command it was given to: `koppelingctl stauts --jsn` is about
    /// `stauts`, not about `--jsn` (ArgumentParser blames the option).
    static func unknownSubcommand(
        _ arguments: [String],
        root: ParsableCommand.Type
    ) -> (word: String, command: ParsableCommand.Type, path: [String])? {
        var command = root
        var path = [root.configuration.commandName ?? "koppelingctl"]
        var i = 0
        while i < arguments.count {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            let word = arguments[i]
            if word == "--" { return nil }
            if word.hasPrefix("-") {
                // Only `--socket` takes a value before a subcommand.
                if word == "--socket" { i += 1 }
                i += 1
                continue
            }
            if word == "help" { return nil }
            guard let next = subcommands.first(where: { $0.configuration.commandName == word }) else {
                if command.configuration.defaultSubcommand != nil { return nil }
                return (word, command, path)
            }
            command = next
            path.append(word)
            i += 1
        }
        return nil
    }

    /// The subcommands named in `arguments`, from the root: whose `--help`
    /// to point at.
    static func commandPath(_ arguments: [String], root: ParsableCommand.Type) -> [String] {
        var command = root
        var path = [root.configuration.commandName ?? "koppelingctl"]
        for word in arguments where !word.hasPrefix("-") {
            guard let next = command.configuration.subcommands.first(where: { $0.configuration.commandName == word })
            else { break }
            command = next
            path.append(word)
        }
        return path
    }

    static func subcommandMessage(_ word: String, of command: ParsableCommand.Type, path: [String]) -> String {
        let names = command.configuration.subcommands.compactMap { $0.configuration.commandName }
        var message = "onbekend commando '\(word)' voor '\(path.joined(separator: " "))'"
        // The question ends its own sentence; without one, the full stop does.
        message += closest(word, among: names).map { "; bedoelde u '\($0)'?" } ?? "."
        return message + " Kies uit: " + names.joined(separator: ", ") + "."
    }

    /// ArgumentParser's message in Dutch.
    static func dutch(_ english: String) -> String {
        let rules: [(String, ([String]) -> String)] = [
            (#"^Missing expected argument '(.+)'$"#, { "verplicht argument ontbreekt: '\($0[0])'" }),
            (#"^Missing one of: (.+)$"#, { "geef een van: \($0[0])" }),
            (
                #"^Unknown option '(.+)'\. Did you mean '(.+)'\?$"#,
                { "onbekende optie '\($0[0])'; bedoelde u '\($0[1])'?" }
            ),
            (#"^Unknown option '(.+)'$"#, { "onbekende optie '\($0[0])'" }),
            (#"^Missing value for '(.+)'$"#, { "de waarde ontbreekt bij '\($0[0])'" }),
            (#"^Unexpected argument '(.+)'$"#, { "onverwacht argument '\($0[0])'" }),
            (#"^(\d+) unexpected arguments: (.+)$"#, { "\($0[0]) onverwachte argumenten: \($0[1])" }),
            (
                #"^The value '(.*)' is invalid for '(.+?)'(?:\. Please provide one of (.+)\.)?$"#,
                {
                    "de waarde '\($0[0])' is ongeldig voor '\($0[1])'"
                        + ($0[2].isEmpty ? "" : "; kies uit \($0[2].replacing("' or '", with: "' of '"))")
                }
            ),
            (
                #"^The option '(.+)' does not take any value, but '(.*)' was specified\.$"#,
                { "de optie '\($0[0])' neemt geen waarde, maar kreeg '\($0[1])'" }
            ),
            (#"^Value to be set with (.+) had already been set with (.+)$"#, { "\($0[0]) is al gegeven als \($0[1])" }),
            (#"^Missing required subcommand\.$"#, { _ in "kies een subcommando" }),
        ]
        for (pattern, say) in rules {
            guard let regex = try? Regex(pattern), let match = english.wholeMatch(of: regex) else { continue }
            let groups = (1..<match.output.count).map { match.output[$0].substring.map(String.init) ?? "" }
            return say(groups)
        }
        return english
    }

    /// The name nearest to `word` (at most two edits, or a prefix), if any.
    static func closest(_ word: String, among names: [String]) -> String? {
        let scored = names.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        if best.1 <= 2 || (word.count >= 3 && best.0.hasPrefix(word.lowercased())) { return best.0 }
        return nil
    }

    /// Levenshtein distance, with a transposition counted as one edit
    /// (`stauts` is one step from `status`).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
