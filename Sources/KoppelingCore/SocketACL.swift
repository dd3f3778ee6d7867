/// The value of a file's `system.posix_acl_access` attribute, as the Linux
/// kernel reads and writes it: version 2, then entries of tag, permission
/// and id, little-endian, in tag order. The daemon writes one for its
/// socket (the reader group's entry); koppelingctl reads it back to name
/// that group to someone who cannot connect.
public enum SocketACL {
    public static let attribute = "system.posix_acl_access"

    static let userObj: UInt16 = 0x01
    static let groupObj: UInt16 = 0x04
    static let group: UInt16 = 0x08
    static let mask: UInt16 = 0x10
    static let other: UInt16 = 0x20
    static let undefinedID: UInt32 = 0xFFFF_FFFF

    /// The owner, owning group and other as `mode` has them, group
    /// `readerGID` read and write, and a mask of read and write (so the
    /// owning group keeps what the mode gave it).
    public static func granting(readerGID: UInt32, mode: UInt32) -> [UInt8] {
        let entries: [(UInt16, UInt16, UInt32)] = [
            (userObj, UInt16((mode >> 6) & 7), undefinedID),
            (groupObj, UInt16((mode >> 3) & 7), undefinedID),
            (group, 6, readerGID),
            (mask, UInt16((mode >> 3) & 7) | 6, undefinedID),
            (other, UInt16(mode & 7), undefinedID),
        ]
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        append(UInt32(2))
        for (tag, perm, id) in entries {
            append(tag)
            append(perm)
            append(id)
        }
        return bytes
    }

    /// The ids of the named groups in an ACL value (nothing for a value
    /// that is not version 2).
    public static func groupIDs(in value: [UInt8]) -> [UInt32] {
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(value[at + $1]) << (8 * $1) } }
        guard value.count >= 4, u32(0) == 2 else { return [] }
        return stride(from: 4, through: value.count - 8, by: 8).compactMap { at in
            UInt16(value[at]) | UInt16(value[at + 1]) << 8 == group ? u32(at + 4) : nil
        }
    }
}
