/// Why the database could not be opened. Each is a refusal to start: the
/// file is left exactly as it was.
public enum StorageOpenError: Error, CustomStringConvertible, Equatable {
    case notADatabase(path: String)
    case damaged(path: String, detail: String)
    case newerSchema(found: Int, known: Int)
    case foreignSchema(path: String)
    case cannotOpen(path: String, detail: String)
    case insecureSecret(path: String, mode: UInt32)
    case secretUnreadable(path: String, detail: String)
    case secretMissing(path: String, database: String)
    case secretMismatch(path: String, database: String)
    case registerMissing(path: String, leftovers: [String])
    case registerInUse(database: String, holder: String)
    /// A link, a file of the wrong type or owner, or a hard link where the
    /// daemon's own file belongs (`StateDirectory`).
    case unsafeFile(StateDirectory.Refusal)
    /// An empty or schema-less register beside the secret or backups of
    /// an earlier one: its contents were lost (a truncated file, a WAL
    /// removed before it was saved into the file).
    case registerEmptied(path: String, leftovers: [String])

    public var description: String {
        switch self {
        case .notADatabase(let p):
            return "\(p) is not an SQLite database; refusing to open or overwrite it"
        case .damaged(let p, let d):
            return
                "\(p) failed the integrity check (\(d)); refusing to start. Restore a backup (see README) or move the file aside"
        case .newerSchema(let found, let known):
            return
                "the database has schema version \(found), newer than this koppelingd knows (\(known)); install a newer koppelingd"
        case .foreignSchema(let p):
            return
                "\(p) is an SQLite database of another program (tables but no koppelingd schema version); refusing to change it"
        case .cannotOpen(let p, let d):
            return "cannot open database \(p): \(d)"
        case .insecureSecret(let p, let mode):
            return
                "the secret file \(p) has mode \(String(mode, radix: 8)); it must not be readable by group or others (chmod 600)"
        case .secretUnreadable(let p, let d):
            return "cannot use the secret file \(p): \(d)"
        case .secretMissing(let p, let db):
            return "the secret file \(p) is missing, but the register \(db) holds verification codes hashed under it; "
                + "refusing to start (a new secret would void every stored code and let used codes be used again). "
                + "Restore koppelingd.secret from this install's backup (owner koppelingd, mode 0600): see 'Restoring' in docs/install.md"
        case .secretMismatch(let p, let db):
            return
                "the secret file \(p) does not belong to the register \(db) (its check value differs); refusing to start. "
                + "Put back the koppelingd.secret that was made with this register, or restore the register that belongs to this secret "
                + "(koppelingd restore BACKUP): see 'Restoring' in docs/install.md"
        case .registerInUse(let db, let holder):
            return "another koppelingd (\(holder)) serves the register \(db); refusing to start a second daemon on it. "
                + "Use that daemon's socket, or stop it first: with Ctrl-C or 'kill' and its pid if it was started by hand, "
                + "with 'systemctl stop koppelingd.service koppelingd.socket' if systemd runs it"
        case .unsafeFile(let refusal):
            return "\(refusal); refusing to start"
        case .registerEmptied(let p, let leftovers):
            return "the register \(p) is empty (no koppelingd schema), but \(leftovers.joined(separator: " and ")) of an earlier register "
                + (leftovers.count == 1 ? "is" : "are") + " there: its contents were lost (the file emptied, or its -wal removed before it was saved into it); "
                + "refusing to start on it or to make a backup of it. "
                + "Restore a backup with 'koppelingd restore BACKUP' (docs/install.md), or move those files aside to really start anew"
        case .registerMissing(let p, let leftovers):
            return "the register \(p) is missing, but \(leftovers.joined(separator: " and ")) of an earlier register "
                + (leftovers.count == 1 ? "is" : "are") + " there; refusing to start a new empty register. "
                + "Restore a backup with 'koppelingd restore BACKUP' (docs/install.md), or move those files aside to really start anew"
        }
    }
}
