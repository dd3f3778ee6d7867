import Foundation
import Testing

@testable import KoppelingCore

/// `PathText` against `NSString`, whose path methods it replaces in the
/// daemon (NSString is not in FoundationEssentials), on paths without
/// doubled slashes; with them the two differ on purpose (below).
@Suite("Path arithmetic")
struct PathTextTests {
    static let paths = [
        "/var/lib/koppelingd/koppelingd.db", "/var/lib/koppelingd/", "/db", "/",
        "db", "a/b", "a/b/", "", "/a/b/c.d", "relative/dir/file", "./x", "../x", "/ä/ö.db",
    ]

    @Test(arguments: paths)
    func directoryIsNSStringsDeletingLastPathComponent(path: String) {
        #expect(PathText.directory(of: path) == (path as NSString).deletingLastPathComponent)
    }

    @Test(arguments: paths)
    func joinIsNSStringsAppendingPathComponent(path: String) {
        for name in ["backups", "koppelingd.secret"] {
            #expect(PathText.join(path, name) == (path as NSString).appendingPathComponent(name), "\(path) + \(name)")
        }
    }

    /// NSString keeps doubled slashes when it appends and turns `//` into
    /// the empty string; a daemon's directories are better off with one.
    @Test func doubledSlashesCollapseAtTheEnd() {
        #expect(PathText.directory(of: "//") == "/")
        #expect(PathText.directory(of: "/var/lib//koppelingd//") == "/var/lib")
        #expect(PathText.join("/var/lib//koppelingd//", "backups") == "/var/lib//koppelingd/backups")
        #expect(PathText.join("//", "backups") == "/backups")
    }
}
