/// The member names of the objects `JSONSyntax` checks: each object's names
/// are kept on the scanner's stack and compared after unescaping, linearly up
/// to `linearLimit` members and by a seeded hash table beyond, so a line that
/// names a member twice is found in the same one pass.
extension JSONSyntax.Scanner {
    /// Keeps `name` for the innermost open object, unless it has it already.
    mutating func note(_ name: JSONSyntax.Entry) {
        let first = container + 1
        if tables.last?.object == container {
            stack.append(name)
            if !insert(stack.count - 1) { found(name) }
            return
        }
        for k in first..<stack.count where same(stack[k], name) {
            found(name)
            return
        }
        stack.append(name)
        if stack.count - first > JSONSyntax.linearLimit {
            // All different: each was compared with those before it.
            tables.append(JSONSyntax.NameTable(object: container))
            for k in first..<stack.count { _ = insert(k) }
        }
    }

    mutating func found(_ name: JSONSyntax.Entry) {
        duplicate = name
        tables = []
    }

    /// Puts the name at stack index `index` in the innermost table;
    /// false if the table has that name already.
    mutating func insert(_ index: Int) -> Bool {
        let hash = self.hash(stack[index])
        var table = tables.removeLast()
        defer { tables.append(table) }
        if (table.count + 1) * 2 > table.slots.count {
            // Twice the size, each name where its stored hash puts it.
            var slots = [UInt64](repeating: 0, count: table.slots.count * 2)
            for slot in table.slots where slot != 0 {
                var p = Int(slot >> 32) & (slots.count - 1)
                while slots[p] != 0 { p = (p + 1) & (slots.count - 1) }
                slots[p] = slot
            }
            table.slots = slots
        }
        let mask = table.slots.count - 1
        var p = Int(hash) & mask
        while table.slots[p] != 0 {
            let slot = table.slots[p]
            if UInt32(slot >> 32) == hash, same(stack[Int(slot & 0xFFFF_FFFF) - 1], stack[index]) { return false }
            p = (p + 1) & mask
        }
        table.slots[p] = UInt64(hash) << 32 | UInt64(index + 1)
        table.count += 1
        return true
    }

    /// The seeded hash of a name's unescaped bytes.
    mutating func hash(_ name: JSONSyntax.Entry) -> UInt32 {
        var hasher = Hasher()
        if name.escaped {
            scratch.removeAll(keepingCapacity: true)
            unescape(name, into: &scratch)
            scratch.withUnsafeBytes { hasher.combine(bytes: $0) }
        } else {
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes[Int(name.start)..<Int(name.end)]))
        }
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }

    /// Whether two names are the same once unescaped.
    func same(_ a: JSONSyntax.Entry, _ b: JSONSyntax.Entry) -> Bool {
        if !a.escaped, !b.escaped {
            return a.end - a.start == b.end - b.start
                && bytes[Int(a.start)..<Int(a.end)].elementsEqual(bytes[Int(b.start)..<Int(b.end)])
        }
        var x = JSONSyntax.Unescaping(bytes: bytes, i: Int(a.start), end: Int(a.end))
        var y = JSONSyntax.Unescaping(bytes: bytes, i: Int(b.start), end: Int(b.end))
        while true {
            let p = x.next()
            guard p == y.next() else { return false }
            if p == nil { return true }
        }
    }

    func unescape(_ name: JSONSyntax.Entry, into out: inout [UInt8]) {
        var x = JSONSyntax.Unescaping(bytes: bytes, i: Int(name.start), end: Int(name.end))
        while let b = x.next() { out.append(b) }
    }
}

extension JSONSyntax {
    /// The UTF-8 bytes of a checked string's contents with its escapes undone.
    struct Unescaping: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var i: Int
        let end: Int
        /// The bytes of a scalar still to come, next one in the highest used byte.
        var pending: UInt32 = 0
        var pendingCount = 0

        mutating func next() -> UInt8? {
            if pendingCount > 0 {
                pendingCount -= 1
                return UInt8(truncatingIfNeeded: pending >> (8 * pendingCount))
            }
            guard i < end else { return nil }
            let b = bytes[i]
            i += 1
            guard b == UInt8(ascii: "\\") else { return b }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "b"): return 0x08
            case UInt8(ascii: "f"): return 0x0C
            case UInt8(ascii: "n"): return 0x0A
            case UInt8(ascii: "r"): return 0x0D
            case UInt8(ascii: "t"): return 0x09
            case UInt8(ascii: "u"): break
            default: return e  // `"` `\` `/`
            }
            var scalar = UInt32(unit())
            if (0xD800...0xDBFF).contains(scalar) {
                i += 2  // `\u`, checked to follow
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(unit()) - 0xDC00)
            }
            switch scalar {
            case ..<0x80:
                return UInt8(scalar)
            case ..<0x800:
                pending = continuation(scalar)
                pendingCount = 1
                return UInt8(0xC0 | (scalar >> 6))
            case ..<0x10000:
                pending = continuation(scalar >> 6) << 8 | continuation(scalar)
                pendingCount = 2
                return UInt8(0xE0 | (scalar >> 12))
            default:
                pending = continuation(scalar >> 12) << 16 | continuation(scalar >> 6) << 8 | continuation(scalar)
                pendingCount = 3
                return UInt8(0xF0 | (scalar >> 18))
            }
        }

        /// A UTF-8 continuation byte of the low six bits.
        func continuation(_ bits: UInt32) -> UInt32 { 0x80 | (bits & 0x3F) }

        /// Four hex digits, checked already.
        mutating func unit() -> UInt16 {
            var v: UInt16 = 0
            for _ in 0..<4 {
                v = v << 4 | UInt16(bytes[i].hexDigitValue!)
                i += 1
            }
            return v
        }
    }
}
