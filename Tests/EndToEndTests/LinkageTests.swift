import Foundation
import Testing

/// The daemon links FoundationEssentials only: not Foundation, not its
/// internationalisation library and not ICU, whose data was most of the
/// daemon's size and of its memory (docs/optimisation.md). Time zones come
/// from the system's TZif files. koppelingctl links none of them either.
@Suite("What the programs link")
struct LinkageTests {
    /// Libraries and module names that mean Foundation proper or ICU: as
    /// `ldd` lists them (dynamic builds), and as they stay in the binary's
    /// bytes (a static build's type names: `10Foundation` is the mangled
    /// module, which `20FoundationEssentials` does not contain).
    static let markers = ["libFoundation.so", "FoundationInternationalization", "_FoundationICU", "10Foundation"]

    static func ldd(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.reap()
        return text
    }

    static func found(in path: String) throws -> [String] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let listed = try ldd(path)
        return markers.filter { listed.contains($0) || bytes.range(of: Data($0.utf8)) != nil }
    }

    @Test(arguments: ["koppelingd", "koppelingctl"])
    func linksNoFoundationAndNoICU(program: String) throws {
        let path = BuiltProducts.directory.appendingPathComponent(program).path
        #expect(try Self.found(in: path) == [], "\(program) links Foundation or ICU")
    }

    /// The check itself finds Foundation where it is: in this test bundle.
    @Test func theCheckFindsFoundationInTheTests() throws {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let found = try Self.found(in: bundle)
        #expect(found.contains("libFoundation.so") || found.contains("10Foundation"), "\(found)")
    }
}
