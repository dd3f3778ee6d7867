import Crypto
import KoppelingCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The per-install key under which verification codes are hashed
/// (HMAC-SHA-256). Kept in a 0600 file beside the database; a file readable
/// by others is refused.
///
/// The database holds a check value of the key (an HMAC of a fixed label),
/// so a secret file that is lost or swapped is noticed at start instead of
/// silently voiding every stored code.
// SymmetricKey is an immutable value; sharing it across threads is safe.
public struct InstallSecret: @unchecked Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// What the database says about the secret it was written under.
    public struct DatabaseState: Sendable, Equatable {
        /// The stored check value; nil in a new database or one written
        /// before check values existed.
        public var check: [UInt8]?
        /// Whether any verification code was ever stored.
        public var holdsCodes: Bool

        public init(check: [UInt8]?, holdsCodes: Bool) {
            self.check = check
            self.holdsCodes = holdsCodes
        }
    }

    /// Refuses an existing secret file that group or others may read.
    public static func refuseIfExposed(path: String) throws {
        guard let info = try inDirectory(path, { try $0.status($1) }) else { return }
        if info.st_mode & S_IFMT == S_IFLNK { throw StorageOpenError.unsafeFile(.symlink(path: path)) }
        let mode = UInt32(info.st_mode) & 0o777
        if mode & 0o077 != 0 { throw StorageOpenError.insecureSecret(path: path, mode: mode) }
    }

    /// Loads the secret of a database, or makes one for a database that
    /// holds no code. A missing file beside a database with codes or a
    /// check value, or a file whose check value differs, is a refusal.
    public static func resolve(path: String, database: String, state: DatabaseState) throws -> InstallSecret {
        try refuseIfExposed(path: path)
        if let secret = try load(path: path) {
            if let check = state.check, !secret.verifies(check: check) {
                throw StorageOpenError.secretMismatch(path: path, database: database)
            }
            return secret
        }
        if state.check != nil || state.holdsCodes {
            throw StorageOpenError.secretMissing(path: path, database: database)
        }
        return try create(path: path)
    }

    /// The secret in `path`, or nil when there is no such file. Read
    /// through the register's directory without following a link: a
    /// planted link would have root read another file as the key.
    public static func load(path: String) throws -> InstallSecret? {
        guard let data = try inDirectory(path, { try $0.read($1, limit: 64) }) else { return nil }
        guard data.count == 32 else {
            throw StorageOpenError.secretUnreadable(path: path, detail: "expected 32 bytes")
        }
        return InstallSecret(key: SymmetricKey(data: data))
    }

    static func create(path: String) throws -> InstallSecret {
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Array($0) }
        try inDirectory(path) { directory, name in
            let fd = try directory.openFile(name, flags: O_WRONLY | O_CREAT | O_EXCL)
            defer { close(fd) }
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else {
                try? directory.remove(name)
                throw StorageOpenError.secretUnreadable(path: path, detail: "could not write the new secret")
            }
            try directory.sync()
        }
        return InstallSecret(key: key)
    }

    /// Runs `body` on the secret's directory and name; a link, a stranger's
    /// file or a failed call there is a refusal that names the file.
    private static func inDirectory<T>(_ path: String, _ body: (StateDirectory, String) throws -> T) throws -> T {
        do {
            return try body(try StateDirectory.open(containing: path), PathText.lastComponent(of: path))
        } catch let refusal as StateDirectory.Refusal {
            if case .failed(_, _, let e) = refusal, e != ELOOP {
                throw StorageOpenError.secretUnreadable(path: path, detail: String(cString: strerror(e)))
            }
            throw StorageOpenError.unsafeFile(refusal)
        }
    }

    /// The check value the database keeps: an HMAC of a fixed label, which
    /// tells whether a secret is the right one without revealing it.
    public var checkValue: [UInt8] { mac(Self.checkLabel) }

    public func verifies(check: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(check, authenticating: Data(Self.checkLabel.utf8), using: key)
    }

    static let checkLabel = "koppelingd install secret check value v1"

    /// The keyed hash stored in place of a code: of its canonical form.
    public func hash(_ code: VerificationCode) -> [UInt8] { mac(code.canonical) }

    /// Every hash under which this code may be stored: new rows hold the
    /// canonical form's, rows written before codes were canonical the
    /// hash of the code as typed, with its prefix in any case.
    public func storedHashes(_ code: VerificationCode) -> [[UInt8]] { code.prefixCaseVariants.map(mac) }

    /// Compares a candidate code with a stored hash in constant time (every
    /// prefix variant is compared, whichever matches).
    public func matches(_ candidate: VerificationCode, storedHash: [UInt8]) -> Bool {
        var found = false
        for variant in candidate.prefixCaseVariants {
            found =
                HMAC<SHA256>.isValidAuthenticationCode(storedHash, authenticating: Data(variant.utf8), using: key)
                || found
        }
        return found
    }

    /// The key of the audit chain (`AuditChain`): the HMAC of a fixed label
    /// under the secret, not the secret itself. The secret already keys the
    /// stored code hashes (an HMAC of a code's text) and the check value (an
    /// HMAC of another label); a chain value under the same key would be an
    /// HMAC the daemon computes over text a caller helps choose (a refused
    /// request's fields), readable by every reader of the audit. A key of its
    /// own keeps the two apart: no chain value can ever equal or help forge
    /// a code hash, and the label differs from the check value's, so this key
    /// is stored nowhere.
    var auditChainKey: SymmetricKey { SymmetricKey(data: mac(Self.auditChainLabel)) }

    static let auditChainLabel = "koppelingd audit chain key v1"

    private func mac(_ text: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }
}
