import Glibc
import KoppelingProtocol
import Testing

@Suite("Unix socket addresses")
struct UnixSocketAddressTests {
    @Test func aPathInTheFileSystemEndsWithItsNUL() throws {
        let address = try #require(UnixSocketAddress(path: "/run/koppelingd/koppelingd.sock"))
        #expect(Int(address.length) == MemoryLayout<sa_family_t>.size + 31 + 1)
        address.withSockaddr { sa, _ in
            #expect(Int32(sa.pointee.sa_family) == AF_UNIX)
            sa.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { un in
                let path = withUnsafeBytes(of: un.pointee.sun_path) {
                    String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                #expect(path == "/run/koppelingd/koppelingd.sock")
            }
        }
    }

    @Test func emptyAndTooLongPathsHaveNoAddress() {
        #expect(UnixSocketAddress(path: "") == nil)
        // sun_path holds 108 bytes: 107 and the NUL.
        #expect(UnixSocketAddress(path: "/" + String(repeating: "x", count: 107)) == nil)
        #expect(UnixSocketAddress(path: "/" + String(repeating: "x", count: 106)) != nil)
    }

    @Test func anAtIsAbstractOnlyWhenAsked() throws {
        let literal = try #require(UnixSocketAddress(path: "@notify"))
        let abstract = try #require(UnixSocketAddress(path: "@notify", abstract: true))
        #expect(Int(literal.length) == MemoryLayout<sa_family_t>.size + 8)
        #expect(Int(abstract.length) == MemoryLayout<sa_family_t>.size + 7)
        abstract.withSockaddr { sa, _ in
            sa.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { un in
                #expect(withUnsafeBytes(of: un.pointee.sun_path) { $0[0] } == 0)
            }
        }
    }
}
