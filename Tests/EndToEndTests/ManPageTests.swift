import Foundation
import KoppelingProtocol
import Testing

/// What scripts/man-pages.sh builds the man pages from: the programs'
/// `--experimental-dump-help` JSON, which swift-argument-parser's
/// generate-manual reads. The pages themselves are made and checked by
/// scripts/build-deb.sh (CI's system test); this only pins what that relies
/// on, without building the generator.
@Suite("The command trees the man pages are made from")
struct ManPageTests {
    struct Dump {
        let text: String
        let command: [String: Any]
    }

    static func dump(_ program: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> Dump {
        let process = Process()
        process.executableURL = program
        process.arguments = ["--experimental-dump-help"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.reap()
        #expect(process.terminationStatus == 0, sourceLocation: sourceLocation)
        let root = try #require(E2E.object(data), "not JSON", sourceLocation: sourceLocation)
        let command = try #require(root["command"] as? [String: Any], sourceLocation: sourceLocation)
        return Dump(text: String(decoding: data, as: UTF8.self), command: command)
    }

    static func subcommands(_ command: [String: Any]) -> [String: [String: Any]] {
        var byName: [String: [String: Any]] = [:]
        for sub in command["subcommands"] as? [[String: Any]] ?? [] {
            if let name = sub["commandName"] as? String { byName[name] = sub }
        }
        return byName
    }

    @Test("koppelingctl: every subcommand, with its Dutch text")
    func koppelingctl() throws {
        let dump = try Self.dump(BuiltProducts.koppelingctl)
        #expect(dump.command["commandName"] as? String == "koppelingctl")
        #expect((dump.command["abstract"] as? String)?.contains("ESIS ↔ TOP dossier ECKiD") == true)
        let subs = Self.subcommands(dump.command)
        // The command of every method, from its descriptor, and the one
        // command that asks the daemon nothing.
        let paths = Methods.all.compactMap(\.command).map { $0.split(separator: " ").map(String.init) }
        for path in paths + [["verification-code", "generate"]] {
            var command: [String: Any]? = dump.command
            for word in path { command = command.flatMap { Self.subcommands($0)[word] } }
            #expect(
                (command?["abstract"] as? String)?.isEmpty == false,
                "no subcommand '\(path.joined(separator: " "))' with an abstract"
            )
        }
        #expect(
            (subs["activate"]?["abstract"] as? String)?.hasPrefix("Activeer een koppeling voor een school (stap 3–4)")
                == true
        )
        #expect(subs["deactivate"]?["abstract"] as? String == "Beëindig een geactiveerde koppeling.")
        // man-pages.sh swaps raw non-ASCII characters in this JSON for
        // placeholders (the generator drops them); a \u escape would slip
        // past it.
        #expect(dump.text.contains("Beëindig"))
        #expect(!dump.text.contains(#"\u00eb"#) && !dump.text.contains(#"\u00EB"#))
    }

    @Test("koppelingd: serve and restore")
    func koppelingd() throws {
        let dump = try Self.dump(BuiltProducts.koppelingd)
        #expect(dump.command["commandName"] as? String == "koppelingd")
        let subs = Self.subcommands(dump.command)
        #expect(subs["serve"] != nil)
        #expect(subs["restore"] != nil)
    }
}
