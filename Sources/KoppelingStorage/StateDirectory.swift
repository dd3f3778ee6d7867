import KoppelingCore

#if canImport(Glibc)
import Glibc
#endif

/// The directory that holds the register, its secret, lock file and
/// backups. Under systemd it belongs to the daemon's user; a command run as
/// root there (`koppelingd restore`, the daemon started by hand with sudo)
/// must never follow what that user planted: a symlink named
/// `koppelingd.db.lock` pointing at /etc/shadow would otherwise have root
/// truncate, write and chown the target. So every file in it is reached
/// through the directory's descriptor by name, without following links
/// (`openat` with `O_NOFOLLOW`, `fstatat` with `AT_SYMLINK_NOFOLLOW`,
/// `renameat`, `unlinkat`), checked on the descriptor it was opened as
/// (`fstat`: its type, its owner, one link), and changed through that
/// descriptor (`fchown`, `fchmod`). A file of the wrong type or owner is a
/// refusal, never a reason to go on.
public final class StateDirectory: @unchecked Sendable {
    public let path: String
    let fd: Int32
    /// The directory's owner: the daemon's user on an installed server.
    public let owner: uid_t
    public let group: gid_t

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        /// A symbolic link where a file or directory of ours belongs.
        case symlink(path: String)
        case wrongType(path: String, expected: String)
        /// Owned by someone who is neither this process nor the directory's owner.
        case wrongOwner(path: String, uid: UInt32)
        /// A regular file with more than one name: it may be another file's
        /// hard link (root would change that file through it).
        case hardLinked(path: String, links: UInt64)
        case failed(path: String, operation: String, errno: Int32)

        public var description: String {
            switch self {
            case .symlink(let p):
                return "\(p) is a symbolic link; koppelingd never follows links in its state directory (remove it)"
            case .wrongType(let p, let expected):
                return "\(p) is not a \(expected); refusing to use it (move it aside)"
            case .wrongOwner(let p, let uid):
                return "\(p) belongs to uid \(uid), not to the state directory's owner or this user; refusing to use it"
            case .hardLinked(let p, let links):
                return "\(p) has \(links) names (hard links); refusing to write through one of them (move it aside)"
            case .failed(let p, let operation, let e):
                return "\(p): \(operation) failed: \(String(cString: strerror(e)))"
            }
        }

        /// The same in Dutch, for `koppelingd restore`'s administrator.
        public var dutch: String {
            switch self {
            case .symlink(let p):
                return "\(p) is een symbolische koppeling; koppelingd volgt nooit een koppeling in zijn statusmap (verwijder haar)"
            case .wrongType(let p, _):
                return "\(p) is geen gewoon bestand of map van koppelingd (zet het opzij)"
            case .wrongOwner(let p, let uid):
                return "\(p) is van uid \(uid), niet van de eigenaar van de statusmap of van deze gebruiker"
            case .hardLinked(let p, let links):
                return "\(p) heeft \(links) namen (harde koppelingen); er wordt niet via één ervan geschreven (zet het opzij)"
            case .failed(let p, let operation, let e):
                return "\(p): \(operation) mislukt: \(String(cString: strerror(e)))"
            }
        }

        /// The errno a failed call left, if this is one.
        public var errno: Int32? {
            if case .failed(_, _, let e) = self { return e }
            return nil
        }
    }

    private init(path: String, fd: Int32, info: stat) {
        self.path = path
        self.fd = fd
        owner = info.st_uid
        group = info.st_gid
    }

    deinit { close(fd) }

    /// Opens the directory at `path`; its last component is never a link.
    public static func open(_ path: String) throws -> StateDirectory {
        let fd = Glibc.open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw refusalForOpen(path: path, errno: errno, expected: "directory") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let e = errno
            close(fd)
            throw Refusal.failed(path: path, operation: "fstat", errno: e)
        }
        return StateDirectory(path: path, fd: fd, info: info)
    }

    /// The directory that holds `file` (a register, secret or lock path).
    public static func open(containing file: String) throws -> StateDirectory {
        try open(PathText.directory(of: file))
    }

    public func pathOf(_ name: String) -> String { PathText.join(path, name) }

    // MARK: Files

    /// What `name` is, without following a link; nil when nothing is there.
    public func status(_ name: String) throws -> stat? {
        var info = stat()
        guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw Refusal.failed(path: pathOf(name), operation: "fstatat", errno: errno)
        }
        return info
    }

    /// Whether a regular file (or anything but a link) is at `name`.
    public func exists(_ name: String) -> Bool {
        var info = stat()
        return fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0
    }

    /// Opens the regular file `name` with `flags` (`O_NOFOLLOW` and
    /// `O_CLOEXEC` added), then checks what was opened: a regular file, of
    /// this process's user or the directory's owner, and — when it may be
    /// written — with one name. The descriptor is the caller's to close.
    public func openFile(_ name: String, flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        let fd = openat(self.fd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw refusalForOpen(name, errno: errno, expected: "regular file") }
        do {
            try check(fd: fd, name: name, writing: flags & (O_WRONLY | O_RDWR) != 0)
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    /// The regular file `name` read whole, at most `limit` bytes; nil when
    /// it does not exist.
    public func read(_ name: String, limit: Int) throws -> [UInt8]? {
        let fd: Int32
        do { fd = try openFile(name, flags: O_RDONLY) } catch let refusal as Refusal where refusal.errno == ENOENT {
            return nil
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n == 0 { break }
            guard n > 0 else { throw Refusal.failed(path: pathOf(name), operation: "read", errno: errno) }
            bytes += buffer.prefix(n)
        }
        return bytes
    }

    private func check(fd: Int32, name: String, writing: Bool) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Refusal.failed(path: pathOf(name), operation: "fstat", errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Refusal.wrongType(path: pathOf(name), expected: "regular file")
        }
        guard trusted(uid: info.st_uid) else { throw Refusal.wrongOwner(path: pathOf(name), uid: info.st_uid) }
        if writing, info.st_nlink > 1 {
            throw Refusal.hardLinked(path: pathOf(name), links: UInt64(info.st_nlink))
        }
    }

    /// Root may use what root or the directory's owner made; any other user
    /// only what it owns itself or the directory's owner made (the daemon's
    /// own user is both).
    func trusted(uid: uid_t) -> Bool { uid == geteuid() || uid == owner }

    /// Gives the open file `fd` to the directory's owner, mode `mode`.
    public func hand(fd: Int32, name: String, mode: mode_t = 0o600) throws {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Refusal.failed(path: pathOf(name), operation: "fstat", errno: errno) }
        if info.st_uid != owner || info.st_gid != group, fchown(fd, owner, group) != 0 {
            throw Refusal.failed(path: pathOf(name), operation: "fchown", errno: errno)
        }
        guard fchmod(fd, mode) == 0 else { throw Refusal.failed(path: pathOf(name), operation: "fchmod", errno: errno) }
    }

    public func rename(_ from: String, to: String, in target: StateDirectory? = nil) throws {
        guard renameat(fd, from, (target ?? self).fd, to) == 0 else {
            throw Refusal.failed(path: pathOf(from), operation: "rename", errno: errno)
        }
    }

    /// Removes the name `name` (a link is removed, never followed); nothing
    /// there is no error.
    public func remove(_ name: String) throws {
        guard unlinkat(fd, name, 0) == 0 || errno == ENOENT else {
            throw Refusal.failed(path: pathOf(name), operation: "unlink", errno: errno)
        }
    }

    /// Makes the directory's entries durable (after a create or rename).
    public func sync() throws {
        guard fsync(fd) == 0 else { throw Refusal.failed(path: path, operation: "fsync", errno: errno) }
    }

    /// The names in the directory (without `.` and `..`).
    public func names() throws -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let stream = fdopendir(copy) else {
            throw Refusal.failed(path: path, operation: "opendir", errno: errno)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    // MARK: Subdirectories

    /// The subdirectory `name`, made (mode 0700) when `create` and absent.
    /// A link there is refused, as is a directory of a stranger.
    public func subdirectory(_ name: String, create: Bool) throws -> StateDirectory? {
        if create, mkdirat(fd, name, 0o700) != 0, errno != EEXIST {
            throw Refusal.failed(path: pathOf(name), operation: "mkdir", errno: errno)
        }
        let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else {
            if errno == ENOENT, !create { return nil }
            throw refusalForOpen(name, errno: errno, expected: "directory")
        }
        var info = stat()
        guard fstat(sub, &info) == 0 else {
            let e = errno
            close(sub)
            throw Refusal.failed(path: pathOf(name), operation: "fstat", errno: e)
        }
        guard trusted(uid: info.st_uid) else {
            close(sub)
            throw Refusal.wrongOwner(path: pathOf(name), uid: info.st_uid)
        }
        return StateDirectory(path: pathOf(name), fd: sub, info: info)
    }

    /// Why `name` could not be opened: a link there is named as such
    /// (`O_DIRECTORY` reports one as "not a directory").
    private func refusalForOpen(_ name: String, errno e: Int32, expected: String) -> Refusal {
        var info = stat()
        if fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFLNK {
            return .symlink(path: pathOf(name))
        }
        return Self.refusalForOpen(path: pathOf(name), errno: e, expected: expected)
    }

    static func refusalForOpen(path: String, errno e: Int32, expected: String) -> Refusal {
        switch e {
        case ELOOP: return .symlink(path: path)
        case ENOTDIR: return .wrongType(path: path, expected: expected)
        default: return .failed(path: path, operation: "open", errno: e)
        }
    }
}
