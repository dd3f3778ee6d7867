#if canImport(Glibc)
import Glibc
#endif

/// The files a running daemon keeps open or relies on: the register, its
/// write-ahead log (`-wal`), the log's index in shared memory (`-shm`), the
/// lock that keeps a second daemon away and the install secret. SQLite
/// holds the first three open by descriptor, so one removed or replaced
/// under the daemon goes on taking writes that no later start will find:
/// a commit in a removed `-wal` is answered as saved and lost at the next
/// crash, with the schema too when it lived only there. A lock removed
/// lets a second daemon start on the register; a secret removed makes the
/// next start refuse. The identities (device and inode) taken when the
/// register was opened tell whether each path still names the file that
/// was opened; a register file emptied in place counts as lost too.
public struct RegisterFiles: Sendable {
    public enum File: String, Sendable, CaseIterable {
        case register
        case log = "-wal"
        case sharedMemory = "-shm"
        case lock
        case secret
    }

    public let database: String
    private let identities: [File: Identity]

    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// Takes the identities of the files that exist now. Called once the
    /// writer has the register open in WAL mode, when all of them do.
    public init(database: String) {
        self.database = database
        var found: [File: Identity] = [:]
        for file in File.allCases {
            if let identity = Self.identity(of: Self.path(of: file, database: database)) { found[file] = identity }
        }
        identities = found
    }

    public func path(of file: File) -> String { Self.path(of: file, database: database) }

    static func path(of file: File, database: String) -> String {
        switch file {
        case .register: database
        case .log, .sharedMemory: database + file.rawValue
        case .lock: RegisterLock.path(forDatabase: database)
        case .secret: Register.secretPath(forDatabase: database)
        }
    }

    /// The first file whose path no longer names the file that was opened
    /// (removed, or replaced by another), emptied in place (an open register
    /// always holds its schema's pages, a secret its 32 bytes), or, for the
    /// log, cut in place (`logCutShort`); nil while all are in place.
    /// `logAtLeast` is the log's length after the last commit or checkpoint
    /// of this process: run on the database thread, where only this
    /// process's own writes move it.
    public func lost(logAtLeast: Int64 = 0) -> File? {
        File.allCases.first { file in
            guard let opened = identities[file] else { return false }
            var info = stat()
            guard lstat(path(of: file), &info) == 0 else { return true }
            if Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) != opened { return true }
            switch file {
            case .register: return info.st_size == 0
            case .secret: return info.st_size != 32
            case .log: return logCutShort(atLeast: logAtLeast)
            case .sharedMemory, .lock: return false
            }
        }
    }

    /// The log SQLite writes to is still at its path but cut in place:
    /// shorter than it was after this process's last commit or checkpoint,
    /// or holding frames without its header (emptied, after which SQLite's
    /// next frame lands past a hole). Those frames are gone; a checkpoint
    /// now would copy zeros into the register.
    ///
    /// Only the log is opened here, never the `-shm` or the register:
    /// SQLite holds its POSIX locks on those, and closing any descriptor of
    /// a file drops every lock this process holds on it (another process
    /// would then take this daemon for gone and reset the log under it).
    /// SQLite takes no lock on the log file itself.
    public func logCutShort(atLeast: Int64) -> Bool {
        guard let opened = identities[.log] else { return false }
        let fd = open(path(of: .log), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) == opened
        else { return false }
        if Int64(info.st_size) < atLeast { return true }
        guard info.st_size > 0 else { return false }
        // The header's magic number, big-endian: 0x377f0682 or 0x377f0683.
        var magic = [UInt8](repeating: 0, count: 4)
        guard magic.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, 4, 0) }) == 4 else { return true }
        return magic[0..<3] != [0x37, 0x7F, 0x06] || (magic[3] != 0x82 && magic[3] != 0x83)
    }

    /// Moves a file that now stands at the log's path, in place of the one
    /// SQLite writes to, out of the way: a stale copy left there would be
    /// replayed over the register at the next start, undoing what was
    /// saved since. Kept beside it (`…-wal.replaced`) for whoever put it
    /// there. Renaming a name never follows a link.
    public func setAsideReplacedLog() {
        guard let opened = identities[.log] else { return }
        var info = stat()
        let at = path(of: .log)
        guard lstat(at, &info) == 0, Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) != opened
        else { return }
        rename(at, at + ".replaced")
    }

    /// The size of `file` at its path (0 when absent).
    public func size(of file: File) -> Int64 {
        var info = stat()
        guard lstat(path(of: file), &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }

    private static func identity(of path: String) -> Identity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

/// A commit that went to a file no longer at its path. `saved`: its
/// contents were saved into the register file by a checkpoint (the log was
/// lost, the register file is still there), so the commit survives a crash;
/// otherwise it does not and was not saved.
public struct RegisterFilesLost: Error, Sendable, Equatable {
    public var file: RegisterFiles.File
    public var saved: Bool
}
