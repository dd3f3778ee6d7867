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
    /// (removed, or replaced by another), or a register file emptied in
    /// place (an open register always holds its schema's pages); nil while
    /// all are in place.
    public func lost() -> File? {
        File.allCases.first { file in
            guard let opened = identities[file] else { return false }
            var info = stat()
            guard lstat(path(of: file), &info) == 0 else { return true }
            if file == .register, info.st_size == 0 { return true }
            return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) != opened
        }
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
