import Foundation

/// The executables SwiftPM built beside the test bundle.
enum BuiltProducts {
    static let directory: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // On Linux the test runner may sit inside `<name>.xctest/`.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("koppelingd").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()

    static var koppelingd: URL { directory.appendingPathComponent("koppelingd") }
    static var koppelingctl: URL { directory.appendingPathComponent("koppelingctl") }
}

/// A temporary directory removed at deinit.
final class TemporaryDirectory {
    let url: URL
    var path: String { url.path }

    init() {
        // Short paths: a Unix socket path must stay under 108 bytes.
        url = URL(fileURLWithPath: "/tmp/kt-" + String(UUID().uuidString.prefix(8)))
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
