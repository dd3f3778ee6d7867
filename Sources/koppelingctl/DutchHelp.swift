#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The help screens in Dutch. swift-argument-parser 1.8.2 writes their
/// headings, the lines of its built-in `--help` and `--version` flags and
/// the notes after an option's help in English, with no way to set them
/// (HelpGenerator.swift): each is said again here in Dutch, as
/// `UsageErrors` does for its error messages. The same text reaches the man
/// page and the shell completions, which ArgumentParser also writes.
enum DutchHelp {
    /// Whole words or phrases, in the order they are replaced.
    static let phrases: [(String, String)] = [
        ("Show help information.", "Toon deze hulp."),
        ("Show the version.", "Toon de versie."),
        ("<subcommand>", "<subcommando>"),
        ("(values:", "(waarden:"),
        ("(default:", "(standaard:"),
        ("; default:", "; standaard:"),
        ("(default)", "(standaard)"),
    ]

    /// Headings, at the start of a line.
    static let headings: [(String, String)] = [
        ("OVERVIEW: ", "OVERZICHT: "),
        ("USAGE: ", "GEBRUIK: "),
        ("ARGUMENTS:", "ARGUMENTEN:"),
        ("OPTIONS:", "OPTIES:"),
        ("SUBCOMMANDS:", "SUBCOMMANDO'S:"),
    ]

    /// The Dutch words are a few characters longer: the English text is
    /// asked for this much narrower, so the Dutch still fits the screen.
    static let room = 4

    /// The width ArgumentParser would wrap to: `COLUMNS`, else the
    /// terminal's, else 80 (its Platform.terminalWidth), less `room`.
    static var columns: Int {
        var width = ProcessInfo.processInfo.environment["COLUMNS"].flatMap { Int($0) }
        if width == nil {
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { width = Int(size.ws_col) }
        }
        return max(40, (width ?? 80) - room)
    }

    static func translate(_ english: String) -> String {
        var lines: [String] = []
        var inUsage = false
        for line in english.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(line)
            // The usage's further lines hang under its first word: two
            // places further in, as "GEBRUIK: " is two longer than "USAGE: ".
            if inUsage, line.hasPrefix("       ") { line = "  " + line } else { inUsage = false }
            if line.hasPrefix("USAGE: ") { inUsage = true }
            for (english, dutch) in headings where line.hasPrefix(english) {
                line = dutch + line.dropFirst(english.count)
            }
            if line.hasPrefix("  See '"), line.hasSuffix("' for detailed help.") {
                let command = line.dropFirst("  See '".count).dropLast("' for detailed help.".count)
                line = "  Zie '\(command)' voor uitgebreide hulp."
            }
            for (english, dutch) in phrases { line = line.replacing(english, with: dutch) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
