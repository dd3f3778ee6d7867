import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The audit trail's hash chain: each row's `chain` is
/// HMAC-SHA-256(key, previous row's chain ‖ the row's content), the first
/// row's previous value being `genesis`. Changing, removing or inserting a
/// row changes what the rows after it must hold, and only a holder of the
/// key can compute that: the key is derived from the install secret
/// (`InstallSecret.auditChainKey`), which never leaves its 0600 file.
///
/// What a chain cannot show by itself: rows cut off at the end leave a
/// shorter chain that verifies. `audit_head` (the last id, the number of
/// rows and the last chain value, written with every row) shows that, as
/// long as whoever cut the rows did not also set the head back to an
/// earlier row's values — which needs no secret, since chain values are
/// stored in the clear. Only an anchor outside the database closes that
/// gap: the daily check logs the head it verified, and every backup holds
/// the head of its day.
// SymmetricKey is an immutable value; sharing it across threads is safe.
struct AuditChain: @unchecked Sendable {
    static let genesis = [UInt8](repeating: 0, count: 32)
    /// The schema version whose migration (0007_audit_chain.sql) added the
    /// chain: rows of a register opened below it are chained at that open.
    static let firstChainedSchemaVersion = 7

    let key: SymmetricKey

    /// The chain value of `row`, chained onto `previous`.
    func link(previous: [UInt8], _ row: AuditChainRow) -> [UInt8] {
        var encoded: [UInt8] = []
        return Array(mac(previous: previous, row, buffer: &encoded))
    }

    /// Whether `stored` is the chain value of `row` chained onto `previous`
    /// (compared in constant time; a missing value never is). `buffer` is
    /// scratch space a caller checking many rows reuses.
    func verifies(_ stored: [UInt8]?, previous: [UInt8], _ row: AuditChainRow, buffer: inout [UInt8]) -> Bool {
        guard let stored, stored.count == 32 else { return false }
        return mac(previous: previous, row, buffer: &buffer) == stored
    }

    private func mac(previous: [UInt8], _ row: AuditChainRow, buffer: inout [UInt8]) -> HMAC<SHA256>.MAC {
        buffer.removeAll(keepingCapacity: true)
        row.encode(into: &buffer)
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: previous)
        mac.update(data: buffer)
        return mac.finalize()
    }
}

/// The content of one audit row as the chain covers it: every column but
/// `chain`, as SQLite stores it.
struct AuditChainRow: Equatable {
    var id: Int64
    var at: [UInt8]
    var user: [UInt8]
    var uid: Int64
    var method: [UInt8]
    var school: [UInt8]?
    var koppeling: [UInt8]?
    var outcome: [UInt8]
    var reasons: [UInt8]
    var detail: [UInt8]

    /// The columns of `audit` this reads, in the order `init(row:)` expects.
    static let columns = "id, at, os_user, os_uid, method, school, koppeling, outcome, reasons, detail"

    /// A row read with `columns` (then `chain`), the text as stored, by its
    /// length.
    init(row r: Row) {
        id = Int64(r.int(0))
        at = r.textBytes(1)
        user = r.textBytes(2)
        uid = Int64(r.int(3))
        method = r.textBytes(4)
        school = r.optionalTextBytes(5)
        koppeling = r.optionalTextBytes(6)
        outcome = r.textBytes(7)
        reasons = r.textBytes(8)
        detail = r.textBytes(9)
    }

    /// A row about to be written, from the values that will be bound.
    init(
        id: Int64,
        at: String,
        user: String,
        uid: Int64,
        method: String,
        school: String?,
        koppeling: String?,
        outcome: String,
        reasons: String,
        detail: String
    ) {
        self.id = id
        self.at = Self.stored(at)
        self.user = Self.stored(user)
        self.uid = uid
        self.method = Self.stored(method)
        self.school = school.map(Self.stored)
        self.koppeling = koppeling.map(Self.stored)
        self.outcome = Self.stored(outcome)
        self.reasons = Self.stored(reasons)
        self.detail = Self.stored(detail)
    }

    /// The bytes SQLite keeps of a bound string: text is bound as a C string
    /// (`Statement.bind`, length -1), so a NUL ends it. The chain must cover
    /// what is stored, which is what a check reads back.
    static func stored(_ text: String) -> [UInt8] { Array(text.utf8.prefix { $0 != 0 }) }

    /// Appends an unambiguous encoding, fixed for version 1 of the chain: the fields
    /// in column order; an integer as 8 bytes big-endian; a text as 0x01,
    /// its length in 4 bytes big-endian and its UTF-8 bytes; NULL as 0x00
    /// (so NULL and the empty text differ). No two rows encode alike, and
    /// no field's bytes can be read as the next one's.
    func encode(into out: inout [UInt8]) {
        func integer(_ v: Int64) {
            withUnsafeBytes(of: UInt64(bitPattern: v).bigEndian) { out.append(contentsOf: $0) }
        }
        func text(_ v: [UInt8]?) {
            guard let v else {
                out.append(0)
                return
            }
            out.append(1)
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: v.count).bigEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: v)
        }
        integer(id)
        text(at)
        text(user)
        integer(uid)
        text(method)
        text(school)
        text(koppeling)
        text(outcome)
        text(reasons)
        text(detail)
    }
}
