import Crypto
import Foundation
import KoppelingCore

/// The per-install key under which verification codes are hashed
/// (HMAC-SHA-256). Kept in a 0600 file beside the database, made on first
/// start; a file readable by others is refused.
// SymmetricKey is an immutable value; sharing it across threads is safe.
public struct InstallSecret: @unchecked Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// Refuses an existing secret file that group or others may read.
    public static func refuseIfExposed(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let mode = UInt32(info.st_mode) & 0o777
        if mode & 0o077 != 0 { throw StorageOpenError.insecureSecret(path: path, mode: mode) }
    }

    public static func loadOrCreate(path: String) throws -> InstallSecret {
        try refuseIfExposed(path: path)
        var info = stat()
        if stat(path, &info) == 0 {
            guard let data = FileManager.default.contents(atPath: path), data.count == 32 else {
                throw StorageOpenError.secretUnreadable(path: path, detail: "expected 32 bytes")
            }
            return InstallSecret(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Array($0) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StorageOpenError.secretUnreadable(path: path, detail: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            unlink(path)
            throw StorageOpenError.secretUnreadable(path: path, detail: "could not write the new secret")
        }
        return InstallSecret(key: key)
    }

    /// The keyed hash stored in place of a code.
    public func hash(_ code: VerificationCode) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(code.plainText.utf8), using: key))
    }

    /// Compares a candidate code with a stored hash in constant time.
    public func matches(_ candidate: VerificationCode, storedHash: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(storedHash, authenticating: Data(candidate.plainText.utf8), using: key)
    }
}
