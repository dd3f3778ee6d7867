import CSQLite
import Crypto

/// The SHA-256 of a terms text, as lower-case hex: what an activation
/// records of the text it accepted, and what anyone can recompute from a
/// downloaded copy (`sha256sum`) to see it is the same text.
public enum TermsDigest {
    public static func sha256Hex(_ text: String) -> String {
        hex(Array(SHA256.hash(data: Array(text.utf8))))
    }

    /// Lower-case hex of any bytes (also the audit chain's values in logs).
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension SQLiteConnection {
    /// `sha256_hex(text)` in SQL, the same digest as `TermsDigest`, so that a
    /// migration can record the hash of the terms texts already stored
    /// (0006_consent.sql). Registered by the migrator on its connection.
    func registerTermsDigestFunction() throws {
        try check(
            sqlite3_create_function_v2(
                handle,
                "sha256_hex",
                1,
                SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                nil,
                { context, _, arguments in
                    guard let argument = arguments?[0], let text = sqlite3_value_text(argument) else {
                        sqlite3_result_null(context)
                        return
                    }
                    let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(argument)))
                    let hex = TermsDigest.hex(Array(SHA256.hash(data: Array(bytes))))
                    sqlite3_result_text(context, hex, -1, sqliteTransient)
                },
                nil,
                nil,
                nil
            )
        )
    }
}
