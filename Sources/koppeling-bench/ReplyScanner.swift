import Foundation

/// Which of `result` and `error` a reply carries, and its id, found by
/// walking the top level of the object without building it: decoding
/// every reply would cost the bench more CPU than the daemon spends.
enum ReplyScanner {
    enum Outcome: Equatable {
        case result(id: Int64?)
        case error(id: Int64?)
        case malformed
    }

    static func scan(_ reply: Data) -> Outcome {
        reply.withUnsafeBytes { raw -> Outcome in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = skipSpace(bytes, 0)
            guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return .malformed }
            i += 1
            var id: Int64?
            var hasResult = false
            var hasError = false
            while true {
                i = skipSpace(bytes, i)
                guard i < bytes.count else { return .malformed }
                if bytes[i] == UInt8(ascii: "}") { break }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard bytes[i] == UInt8(ascii: "\"") else { return .malformed }
                let keyStart = i + 1
                guard let keyEnd = endOfString(bytes, i) else { return .malformed }
                let key = UnsafeBufferPointer(rebasing: bytes[keyStart..<(keyEnd - 1)])
                i = skipSpace(bytes, keyEnd)
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return .malformed }
                i = skipSpace(bytes, i + 1)
                let valueStart = i
                guard let valueEnd = endOfValue(bytes, i) else { return .malformed }
                if matches(key, "id") {
                    id = integer(bytes, valueStart, valueEnd)
                } else if matches(key, "result") {
                    hasResult = true
                } else if matches(key, "error") {
                    hasError = true
                }
                i = valueEnd
            }
            if hasError { return .error(id: id) }
            return hasResult ? .result(id: id) : .malformed
        }
    }

    /// The message and reason of an error reply, for the first few shown.
    static func describeError(_ reply: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: reply) as? [String: Any],
            let error = object["error"] as? [String: Any]
        else {
            return String(decoding: reply.prefix(300), as: UTF8.self)
        }
        let code = error["code"].map { "\($0)" } ?? "?"
        let message = error["message"] as? String ?? ""
        let reason = (error["data"] as? [String: Any])?["reason"] as? String ?? "-"
        return "\(code) \(reason): \(message)"
    }

    private static func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        return i
    }

    /// The index just past the closing quote of the string opening at `start`.
    private static func endOfString(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var i = start + 1
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    /// The index just past the value starting at `start`, nested or not.
    private static func endOfValue(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        guard start < b.count else { return nil }
        if b[start] == UInt8(ascii: "\"") { return endOfString(b, start) }
        var depth = 0
        var i = start
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\""):
                guard let end = endOfString(b, i) else { return nil }
                i = end
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return i }
                depth -= 1
                if depth == 0 { return i + 1 }
            case UInt8(ascii: ","):
                if depth == 0 { return i }
            default:
                break
            }
            i += 1
        }
        return depth == 0 ? i : nil
    }

    private static func matches(_ key: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return key.elementsEqual(expected)
    }

    private static func integer(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        var value: Int64 = 0
        var i = start
        var negative = false
        if i < end, b[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        let digitsStart = i
        while i < end, b[i] >= 0x30, b[i] <= 0x39 {
            value = value &* 10 &+ Int64(b[i] - 0x30)
            i += 1
        }
        guard i > digitsStart else { return nil }
        return negative ? -value : value
    }
}
