import CXattr
import KoppelingCore
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Why a call did not get a reply from the daemon.
public enum ClientError: Error, CustomStringConvertible {
    case notReachable(path: String, reason: String)
    /// The socket is there but this user may not open it: a matter of
    /// group membership, not of a daemon that is down.
    /// `group`: the socket's group (administrators); `readerGroup`: the
    /// group its ACL lets in to read, when there is one.
    case noAccess(path: String, group: String?, readerGroup: String?)
    case connectionLost(path: String)
    case malformedReply(String)

    public var description: String {
        switch self {
        case .notReachable(let p, let r): "De daemon is niet bereikbaar via \(p) (\(r))."
        case .noAccess(let p, let g, let r):
            "U heeft geen toegang tot de socket van koppelingd (\(p)): alleen root en leden van de groep "
                + "\(g ?? "koppelingbeheer") (beheren)" + (r.map { " of \($0) (inzien)" } ?? "")
                + " mogen koppelingd gebruiken."
        case .connectionLost(let p): "De verbinding met de daemon via \(p) is onverwacht verbroken."
        case .malformedReply(let d): "Het antwoord van de daemon is niet te lezen: \(d)"
        }
    }
}

/// A blocking JSON-RPC client over the daemon's Unix socket: one request
/// line out, one reply line in.
public final class KoppelingConnection {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Reused for every read: replies are small, allocation is not.
    private var chunk = [UInt8](repeating: 0, count: 65536)
    private var nextID: Int64 = 1

    public init(path: String) throws(ClientError) {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.notReachable(path: path, reason: Self.dutch(errno: errno)) }
        guard let address = UnixSocketAddress(path: path) else {
            close(fd)
            throw ClientError.notReachable(path: path, reason: path.isEmpty ? "geen pad" : "pad te lang")
        }
        let rc = address.withSockaddr { connect(fd, $0, $1) }
        guard rc == 0 else {
            let code = errno
            close(fd)
            if code == EACCES || code == EPERM {
                throw ClientError.noAccess(
                    path: path,
                    group: Self.groupName(of: path),
                    readerGroup: Self.readerGroupName(of: path)
                )
            }
            throw ClientError.notReachable(path: path, reason: Self.dutch(errno: code))
        }
        self.fd = fd
    }

    /// Why connect() failed, in the Dutch of koppelingctl's messages (the C
    /// library's `strerror` is English); the number for the rare others.
    static func dutch(errno code: Int32) -> String {
        switch code {
        case ENOENT: "de socket bestaat niet"
        case ECONNREFUSED: "niemand luistert op de socket"
        case ENOTDIR: "een deel van het pad is geen map"
        case ENOTSOCK: "het pad is geen socket"
        case EAGAIN: "de daemon neemt nu geen verbindingen aan"
        case ETIMEDOUT: "de verbinding kwam niet tot stand"
        case EMFILE, ENFILE: "te veel open bestanden"
        default: "systeemfout \(code)"
        }
    }

    deinit { close(fd) }

    /// The group that owns the socket (whose members may connect), if this
    /// user can see it.
    static func groupName(of path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return groupName(gid: info.st_gid)
    }

    /// The group the socket's ACL names (the daemon adds the reader group
    /// there): the first `ACL_GROUP` entry of `system.posix_acl_access`.
    static func readerGroupName(of path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { getxattr(path, SocketACL.attribute, $0.baseAddress, $0.count) }
        guard n > 0, let gid = SocketACL.groupIDs(in: Array(buffer.prefix(n))).first else { return nil }
        return groupName(gid: gid)
    }

    static func groupName(gid: gid_t) -> String? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return String(cString: entry.gr_name)
    }

    /// Sends one line (a `\n` is added) and reads one reply line.
    public func exchange(_ line: Data) throws -> Data {
        do {
            try send(line)
        } catch {
            // The daemon may have said why before it closed (the connection
            // cap, a shutdown): that line is the better answer.
            if let reason = try? receiveLine() { return reason }
            throw error
        }
        return try receiveLine()
    }

    public func send(_ line: Data) throws {
        var out = [UInt8](line)
        out.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < out.count {
            let n = out[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ClientError.connectionLost(path: path)
            }
            offset += n
        }
    }

    public func receiveLine() throws -> Data {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ClientError.connectionLost(path: path) }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// Calls `method` and decodes its result as the type its descriptor
    /// names; a refusal throws `RPCError`.
    public func call<P, R>(_ method: MethodDescriptor<P, R>, _ params: P) throws -> R {
        let id = nextID
        nextID += 1
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let line = try encoder.encode(RPCRequest(id: .number(id), method: method.name, params: params))
        let reply = try exchange(line)
        let decoded: RPCReply<R>
        do { decoded = try JSONDecoder().decode(RPCReply<R>.self, from: reply) } catch {
            throw ClientError.malformedReply("\(error)")
        }
        if let error = decoded.error { throw error }
        guard let result = decoded.result else { throw ClientError.malformedReply("geen result en geen error") }
        return result
    }

    /// The raw JSON of `result` (for `--json`), or the refusal.
    public func callRaw<P, R>(_ method: MethodDescriptor<P, R>, _ params: P) throws -> Data {
        let encoder = JSONEncoder()
        let line = try encoder.encode(RPCRequest(id: .number(nextID), method: method.name, params: params))
        nextID += 1
        let reply = try exchange(line)
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: reply) else {
            throw ClientError.malformedReply(String(decoding: reply.prefix(200), as: UTF8.self))
        }
        if object["error"] != nil {
            let failure: RPCFailure
            do { failure = try JSONDecoder().decode(RPCFailure.self, from: reply) } catch {
                throw ClientError.malformedReply("\(error)")
            }
            throw failure.error
        }
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try pretty.encode(object["result"] ?? .null)
    }
}
