import Foundation
import Testing

@testable import KoppelingStorage

/// `koppelingd restore` refuses while something listens on the socket; it
/// reads the kernel's table of Unix sockets, which on a server is far
/// longer than one page.
@Suite("A listening socket among many")
struct ListeningSocketTests {
    static func listen(at path: String) throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0 && Glibc.listen(fd, 1) == 0, "bind \(path): errno \(errno)")
        return fd
    }

    @Test("found behind 500 other listening sockets (the table is then some 60 KiB, not one page)")
    func foundAmongMany() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        for i in 0..<500 { fds.append(try Self.listen(at: directory.path + "/other-\(i).sock")) }
        let path = directory.path + "/koppelingd.sock"
        #expect(!RegisterRestore.isListening(path))
        fds.append(try Self.listen(at: path))
        #expect(RegisterRestore.isListening(path), "a listening socket was missed")
        let table = try #require(RegisterRestore.readToEnd("/proc/net/unix"))
        #expect(table.utf8.count > 4096 * 4, "the table should be longer than one page: \(table.utf8.count) B")
    }
}
