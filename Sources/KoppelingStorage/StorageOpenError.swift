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

    public var description: String {
        switch self {
        case .notADatabase(let p):
            return "\(p) is not an SQLite database; refusing to open or overwrite it"
        case .damaged(let p, let d):
            return "\(p) failed the integrity check (\(d)); refusing to start. Restore a backup (see README) or move the file aside"
        case .newerSchema(let found, let known):
            return "the database has schema version \(found), newer than this koppelingd knows (\(known)); install a newer koppelingd"
        case .foreignSchema(let p):
            return "\(p) is an SQLite database of another program (tables but no koppelingd schema version); refusing to change it"
        case .cannotOpen(let p, let d):
            return "cannot open database \(p): \(d)"
        case .insecureSecret(let p, let mode):
            return "the secret file \(p) has mode \(String(mode, radix: 8)); it must not be readable by group or others (chmod 600)"
        case .secretUnreadable(let p, let d):
            return "cannot use the secret file \(p): \(d)"
        }
    }
}
