import ArgumentParser

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Reads a secret (verification code or authorisation key) from a no-echo
/// prompt, standard input or a file — on the command line only as a last
/// resort, because argv is visible to other users through /proc.
struct SecretSource: ParsableArguments {
    @Flag(name: .customLong("code-stdin"), help: "Lees de code van standaardinvoer (eerste regel).")
    var fromStdin = false
    @Option(
        name: .customLong("code-file"),
        help: ArgumentHelp("Lees de code uit dit bestand (eerste regel).", valueName: "bestand")
    )
    var file: String?
    @Option(
        name: .customLong("code"),
        help: ArgumentHelp(
            "Laatste redmiddel: de code op de opdrachtregel (zichtbaar voor andere gebruikers via /proc).",
            visibility: .hidden
        )
    )
    var onCommandLine: String?
}

struct KeySource: ParsableArguments {
    @Flag(name: .customLong("key-stdin"), help: "Lees de sleutel van standaardinvoer (eerste regel).")
    var fromStdin = false
    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp("Lees de sleutel uit dit bestand (eerste regel).", valueName: "bestand")
    )
    var file: String?
    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "Laatste redmiddel: de sleutel op de opdrachtregel (zichtbaar voor andere gebruikers via /proc).",
            valueName: "sleutel",
            visibility: .hidden
        )
    )
    var onCommandLine: String?
}

enum SecretInput {
    /// `what` names the secret in Dutch ("verificatiecode").
    static func read(what: String, stdin: Bool, file: String?, argv: String?, confirm: Bool) throws -> String {
        try checkOneSource(what: what, stdin: stdin, file: file, argv: argv)
        if let argv {
            Output.warning(
                "de \(what) op de opdrachtregel is zichtbaar voor andere gebruikers (via /proc); gebruik liever de prompt, \(flags(what).stdin) of \(flags(what).file)."
            )
            return argv
        }
        if stdin {
            // `--code-stdin < code.txt`: the same warning as for --code-file.
            var info = stat()
            if fstat(STDIN_FILENO, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 != 0 {
                Output.warning(
                    "de \(what) komt uit een bestand dat ook voor anderen leesbaar is (modus \(String(info.st_mode & 0o777, radix: 8))). Verwijder het na gebruik, of maak het alleen voor u leesbaar (chmod 600)."
                )
            }
            return firstLine(Data(StandardStreams.readAllInput()))
        }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("Kan het bestand '\(file)' niet lezen.")
            }
            warnIfOthersMayRead(file, what: what)
            return firstLine(data)
        }
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError(
                "Geen terminal voor de prompt: geef de \(what) met \(flags(what).stdin) of \(flags(what).file) BESTAND."
            )
        }
        let first = try prompt("\(what.capitalizedFirst): ")
        if confirm {
            let second = try prompt("Herhaal de \(what): ")
            guard first == second else { throw ValidationError("De twee invoeren van de \(what) verschillen.") }
        }
        return first
    }

    /// The flags that give the secret named `what`.
    static func flags(_ what: String) -> (stdin: String, file: String) {
        what == "verificatiecode" ? ("--code-stdin", "--code-file") : ("--key-stdin", "--key-file")
    }

    /// Two sources at once is a usage error; commands that ask the daemon
    /// something first check it before they connect.
    static func checkOneSource(what: String, stdin: Bool, file: String?, argv: String?) throws {
        if [stdin, file != nil, argv != nil].filter({ $0 }).count > 1 {
            throw ValidationError("Kies één bron voor de \(what): standaardinvoer, een bestand of de opdrachtregel.")
        }
    }

    /// The first line, without its line end: `\n`, or `\r\n` from a file
    /// saved on Windows (in Swift `"\r\n"` is one Character, so the split
    /// is on bytes), and without a UTF-8 byte order mark.
    static func firstLine(_ data: Data) -> String {
        var bytes = Array(data.prefix { $0 != 0x0A })
        if bytes.last == 0x0D { bytes.removeLast() }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A secret in a file others may read is a secret others may have.
    static func warnIfOthersMayRead(_ path: String, what: String) {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return }
        Output.warning(
            "het bestand '\(path)' met de \(what) is ook voor anderen leesbaar (modus \(String(info.st_mode & 0o777, radix: 8))). Verwijder het na gebruik, of maak het alleen voor u leesbaar: chmod 600 '\(path)'."
        )
    }

    /// A prompt on the terminal with echo off, restored even on error.
    static func prompt(_ text: String) throws -> String {
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        // Echo off before the prompt shows, so nothing typed ahead echoes.
        tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        StandardStreams.writeError(text)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &original)
            StandardStreams.writeError("\n")
        }
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("Geen invoer.") }
        return line
    }
}

extension String {
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
