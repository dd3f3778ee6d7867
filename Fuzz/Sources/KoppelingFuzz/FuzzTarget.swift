import Foundation
import KoppelingCore
import KoppelingProtocol
import NIOCore
import NIOEmbedded

@testable import KoppelingDaemon

/// libFuzzer's entry point: one input is a chunk of the byte stream a
/// client could send. It goes through the daemon's `LineDecoder` (in an
/// `EmbeddedChannel`, as in the pipeline), every line through
/// `Dispatcher.parse`, and every string in it through the domain rules.
/// Any broken invariant is a `fatalError`, which libFuzzer reports as a
/// crash with the input that caused it.
@_cdecl("LLVMFuzzerTestOneInput")
public func koppelingFuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count > 0 && start != nil ? [UInt8](UnsafeRawBufferPointer(start: start, count: count)) : []
    Harness.run(bytes)
    return 0
}

enum Harness {
    static func run(_ bytes: [UInt8]) {
        // The real limit, the input delivered in pieces whose sizes come
        // from the input itself (a client's writes are split anywhere).
        let lines = LineSplitting.check(bytes, maxLength: ProtocolInfo.maxLineBytes, chunking: .derived)
        // A small limit, so the oversized-line path runs on small inputs.
        _ = LineSplitting.check(bytes, maxLength: 48, chunking: .derived)
        _ = LineSplitting.check(bytes, maxLength: 48, chunking: .whole)

        for line in lines {
            // BlankLineFilter drops blank lines (keep-alives) before ConnectionHandler.
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            Parsing.check(Data(line))
            Rules.check(line)
        }
    }
}

// MARK: - Line decoder

enum LineSplitting {
    enum Chunking { case whole, derived }

    /// What the decoder must emit for `bytes`: each `\n`-terminated line
    /// (one trailing `\r` dropped) while it is at most `maxLength` bytes; the
    /// first longer line ends the stream with `tooLong`; an unterminated
    /// rest is a last line at end of input.
    static func expected(_ bytes: [UInt8], maxLength: Int) -> (lines: [[UInt8]], tooLong: Bool) {
        var lines: [[UInt8]] = []
        var start = 0
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: 0x0A) else {
                let rest = Array(bytes[start...])
                if rest.count > maxLength { return (lines, true) }
                lines.append(rest)
                return (lines, false)
            }
            var line = Array(bytes[start..<newline])
            if line.count > maxLength { return (lines, true) }
            if line.last == 0x0D { line.removeLast() }
            lines.append(line)
            start = newline + 1
        }
        return (lines, false)
    }

    /// Runs `bytes` through the decoder, checks it against `expected`, and
    /// returns the lines (those before an oversized one).
    static func check(_ bytes: [UInt8], maxLength: Int, chunking: Chunking) -> [[UInt8]] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineDecoder(maxLength: maxLength)))
        var got: [InboundLine] = []
        func drain() {
            while let item = try? channel.readInbound(as: InboundLine.self) { got.append(item) }
        }
        var offset = 0
        var step = 0
        while offset < bytes.count {
            let size: Int
            switch chunking {
            case .whole: size = bytes.count
            case .derived:
                // 1...64 bytes, or everything left, chosen by the bytes themselves.
                let b = Int(bytes[(offset + step) % bytes.count])
                size = b % 5 == 0 ? bytes.count - offset : 1 + (b * 31 + step) % 64
            }
            let end = min(bytes.count, offset + size)
            var buffer = channel.allocator.buffer(capacity: end - offset)
            buffer.writeBytes(bytes[offset..<end])
            do { try channel.writeInbound(buffer) } catch { fatalError("writeInbound threw: \(error)") }
            drain()
            offset = end
            step += 1
        }
        // The client closed its side: the rest is a last line.
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        drain()
        _ = try? channel.finish()

        var lines: [[UInt8]] = []
        var sawTooLong = false
        for item in got {
            if sawTooLong { fatalError("the decoder emitted something after tooLong") }
            switch item {
            case .line(let buffer):
                let line = Array(buffer.readableBytesView)
                if line.count > maxLength { fatalError("a line of \(line.count) bytes passed a limit of \(maxLength)") }
                if line.contains(0x0A) { fatalError("a decoded line contains a newline") }
                lines.append(line)
            case .tooLong:
                sawTooLong = true
            }
        }
        let want = expected(bytes, maxLength: maxLength)
        if lines != want.lines || sawTooLong != want.tooLong {
            fatalError(
                """
                decoder disagrees with the model (max \(maxLength), \(chunking)): \
                got \(lines.count) lines, tooLong \(sawTooLong); want \(want.lines.count) lines, tooLong \(want.tooLong)
                """
            )
        }
        return lines
    }
}

// MARK: - Request parsing

enum Parsing {
    static let methodNames = Set(Methods.all.map(\.name))

    /// What a line became, in words that can be compared.
    static func outcome(_ parsed: Parsed) -> String {
        switch parsed {
        case .reply(let data):
            return "reply " + String(buffer: data)
        case .request(let r):
            let head =
                "request \(String(describing: r.id)) \(r.method.name) \(r.subject.school ?? "-")"
                + " \(r.subject.koppeling ?? "-") \(r.subject.schools)"
            switch r.call {
            case .success(let call):
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let params = (try? encoder.encode(call.params)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
                return head + " params " + params
            case .failure(let error):
                return head + " refused \(error)"
            }
        }
    }

    static func check(_ line: Data) {
        let bytes = [UInt8](line)
        // RFC 8259 by an independent recursive reader (nil: nested too deep
        // to tell); the daemon's one-pass check must agree with it, and on
        // the first member name an object repeats.
        let grammar = Grammar.read(bytes)
        let verdict = line.withUnsafeBytes(JSONSyntax.verdict)
        let daemonSays = verdict != .invalid
        if let grammar, grammar.isJSON != daemonSays {
            fatalError("JSONSyntax says \(daemonSays), the grammar \(grammar.isJSON)")
        }
        let isUTF8 = String(validating: bytes, as: UTF8.self) != nil
        if let grammar, grammar.isJSON, isUTF8 {
            // (The grammar's names go through Foundation, which wants UTF-8.)
            let expected: JSONSyntax.Verdict = grammar.duplicate.map { .duplicateMember($0) } ?? .valid
            if verdict != expected { fatalError("JSONSyntax says \(verdict), the grammar \(expected)") }
        }
        let parsed = Dispatcher.parse(ByteBuffer(bytes: line))
        // The daemon's decoder against JSONDecoder, its twin: the same reply,
        // or the same request with the same params or the same refusal.
        let ours = outcome(parsed)
        let foundation = outcome(Dispatcher.parse(ByteBuffer(bytes: line), decoding: .foundation))
        if ours != foundation { fatalError("the decoder says \(ours), JSONDecoder \(foundation)") }
        if case .duplicateMember = verdict, isUTF8 {
            // Nothing runs: -32600 with a null id.
            guard case .reply(let data) = parsed, code(of: data) == RPCErrorCode.invalidRequest,
                ((try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any])?["id"] is NSNull
            else {
                fatalError("a line that names a member twice did not get -32600 with a null id")
            }
        }
        if grammar?.isJSON == false || !isUTF8 {
            // Not JSON text: a parse error, whatever else is wrong.
            guard case .reply(let data) = parsed, code(of: data) == RPCErrorCode.parseError else {
                fatalError("a line that is not JSON did not get -32700")
            }
        }
        switch parsed {
        case .reply(let data):
            checkReply(data, line: line)
        case .request(let request):
            if case .failure(let error) = request.call {
                if !request.method.changesState {
                    fatalError("refused params of read-only \(request.method.name) reached the chain")
                }
                if !methodNames.contains(request.method.name) { fatalError("unknown method routed") }
                checkReply(ReplyEncoding.failure(id: request.id ?? .null, error: RPCError(error)), line: line)
                return
            }
            let id = request.id
            // JSONSerialization reads every value: what it refuses but the
            // grammar allows can only be a number out of Double's range.
            if (try? JSONSerialization.jsonObject(with: line, options: [.fragmentsAllowed])) == nil,
                !Grammar.hasHugeNumber(bytes)
            {
                fatalError("JSONSerialization refuses a line accepted as a call to \(request.method.name)")
            }
            // The id must survive the trip to a reply (as the dispatcher
            // writes it when the call is refused later).
            if case .string(let s)? = id, s.utf8.count > 64 {
                checkReply(
                    ReplyEncoding.failure(
                        id: .string(s),
                        error: RPCError(.notFound(Violation(field: "brin6", reason: .schoolNotFound, message: "x")))
                    ),
                    line: line
                )
            }
            _ = request.subject
        }
    }

    static func code(of reply: ByteBuffer) -> Int? {
        ((try? JSONSerialization.jsonObject(with: Data(reply.readableBytesView))) as? [String: Any]).flatMap {
            ($0["error"] as? [String: Any])?["code"] as? Int
        }
    }

    /// A reply must be a JSON-RPC 2.0 error object with an integer code.
    static func checkReply(_ reply: ByteBuffer, line: Data) {
        let data = Data(reply.readableBytesView)
        guard !data.isEmpty else { fatalError("empty reply") }
        if data.contains(0x0A) { fatalError("a reply contains a raw newline") }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            fatalError("reply is not a JSON object: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        guard object["jsonrpc"] as? String == "2.0" else { fatalError("reply without jsonrpc 2.0") }
        guard object.keys.contains("id") else { fatalError("reply without id") }
        guard let error = object["error"] as? [String: Any], object["result"] == nil else {
            fatalError("parse reply is not an error")
        }
        guard let code = error["code"] as? Int,
            [-32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003, -32004, -32005].contains(code)
        else {
            fatalError("reply with a bad code: \(String(describing: error["code"]))")
        }
        guard error["message"] is String else { fatalError("reply without message") }
    }
}

// MARK: - JSON grammar

/// RFC 8259 by recursive descent, written apart from the daemon's
/// `JSONSyntax` so the two can be compared. Member names are unescaped by
/// Foundation's decoder and compared as lists of code points.
struct Grammar {
    let b: [UInt8]
    var i = 0
    var depth = 0
    var tooDeep = false
    /// The first member name an object repeats, in the order of the line.
    var duplicate: String?

    /// nil: nested too deep to tell.
    static func read(_ bytes: [UInt8]) -> (isJSON: Bool, duplicate: String?)? {
        var g = Grammar(b: bytes)
        g.ws()
        let ok =
            g.value()
            && {
                g.ws()
                return g.i == bytes.count
            }()
        return g.tooDeep ? nil : (ok, g.duplicate)
    }

    /// Whether a number token has an exponent over 300 or more than 300 digits.
    static func hasHugeNumber(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.range(of: #"[eE][+-]?0*[0-9]{3,}|[0-9]{300,}"#, options: .regularExpression) != nil
    }

    mutating func ws() { while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 } }
    mutating func eat(_ c: Character) -> Bool {
        guard i < b.count, b[i] == c.asciiValue! else { return false }
        i += 1
        return true
    }

    mutating func value() -> Bool {
        guard i < b.count else { return false }
        switch b[i] {
        case UInt8(ascii: "{"): return container(close: "}", member: true)
        case UInt8(ascii: "["): return container(close: "]", member: false)
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return word("true")
        case UInt8(ascii: "f"): return word("false")
        case UInt8(ascii: "n"): return word("null")
        default: return number()
        }
    }

    mutating func container(close: Character, member: Bool) -> Bool {
        depth += 1
        defer { depth -= 1 }
        if depth > 2000 {
            tooDeep = true
            return false
        }
        i += 1
        ws()
        if eat(close) { return true }
        var names: Set<[UInt32]> = []
        repeat {
            ws()
            if member {
                let start = i
                guard i < b.count, b[i] == UInt8(ascii: "\""), string() else { return false }
                if duplicate == nil,
                    let name = try? JSONDecoder().decode(String.self, from: Data(b[start..<i])),
                    !names.insert(name.unicodeScalars.map(\.value)).inserted
                {
                    duplicate = name
                }
                ws()
                guard eat(":") else { return false }
                ws()
            }
            guard value() else { return false }
            ws()
        } while eat(",")
        return eat(close)
    }

    mutating func word(_ w: String) -> Bool {
        let u = Array(w.utf8)
        guard i + u.count <= b.count, Array(b[i..<(i + u.count)]) == u else { return false }
        i += u.count
        return true
    }

    mutating func string() -> Bool {
        i += 1
        var pendingHigh = false
        while i < b.count {
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "\\"), i < b.count {
                let e = b[i]
                i += 1
                if e == UInt8(ascii: "u") {
                    guard i + 4 <= b.count, let v = UInt16(String(decoding: b[i..<(i + 4)], as: UTF8.self), radix: 16),
                        b[i..<(i + 4)].allSatisfy({
                            ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66)
                        })
                    else { return false }
                    i += 4
                    let isHigh = (0xD800...0xDBFF).contains(v)
                    let isLow = (0xDC00...0xDFFF).contains(v)
                    if pendingHigh != isLow { return false }
                    pendingHigh = isHigh
                    continue
                }
                guard !pendingHigh, "\"\\/bfnrt".utf8.contains(e) else { return false }
                continue
            }
            if pendingHigh { return false }
            if c == UInt8(ascii: "\"") { return true }
            if c < 0x20 || c == UInt8(ascii: "\\") { return false }
        }
        return false
    }

    mutating func number() -> Bool {
        _ = eat("-")
        func digits(_ g: inout Grammar) -> Int {
            let start = g.i
            while g.i < g.b.count, g.b[g.i] >= 0x30, g.b[g.i] <= 0x39 { g.i += 1 }
            return g.i - start
        }
        let start = i
        let n = digits(&self)
        guard n > 0, !(n > 1 && b[start] == UInt8(ascii: "0")) else { return false }
        if eat(".") { guard digits(&self) > 0 else { return false } }
        if eat("e") || eat("E") {
            if !eat("+") { _ = eat("-") }
            guard digits(&self) > 0 else { return false }
        }
        return true
    }
}

// MARK: - Domain rules

enum Rules {
    static let today = LocalDate(year: 2026, month: 11, day: 29)!
    static let school = Brin6.parse("21QW00").successValue!

    static func check(_ line: [UInt8]) {
        var strings = [String(decoding: line, as: UTF8.self)]
        if let json = try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed]) {
            collectStrings(json, into: &strings)
        }
        // Also pieces of the raw line, so validators see short inputs.
        for piece in String(decoding: line, as: UTF8.self).split(whereSeparator: { $0 == "\"" || $0 == "," }).prefix(16)
        {
            strings.append(String(piece))
        }
        for s in strings.prefix(32) { checkString(s) }
        if strings.count >= 2 {
            // The costly checks (printing, encoding) once a line; the rules
            // for a few combinations of its strings.
            for i in 0..<min(strings.count, 3) {
                let pick = { (k: Int) in strings[(i + k) % strings.count] }
                checkActivation(
                    ActivationInput(
                        school: pick(0),
                        koppeling: pick(1),
                        name: pick(2),
                        agree: i % 2 == 0,
                        termsVersion: pick(5),
                        verificationCode: pick(3),
                        startDate: i % 3 == 0 ? nil : pick(4),
                        endDate: i % 2 == 0 ? nil : pick(6)
                    ),
                    thorough: i == 0
                )
                checkCatalog(
                    pick,
                    price: line.count % 3 == 0 ? nil : line.count * (i % 2 == 0 ? 1 : -7919),
                    thorough: i == 0
                )
            }
        }
        checkDecodedParams(Data(line))
    }

    static func collectStrings(_ value: Any, into out: inout [String]) {
        guard out.count < 256 else { return }
        switch value {
        case let s as String: out.append(s)
        case let a as [Any]: for v in a { collectStrings(v, into: &out) }
        case let o as [String: Any]:
            for (k, v) in o {
                out.append(k)
                collectStrings(v, into: &out)
            }
        default: break
        }
    }

    static func checkString(_ s: String) {
        switch Brin6.parse(s) {
        case .success(let b):
            let u = Array(b.value.utf8)
            guard u.count == 6, u[0...1].allSatisfy({ (0x30...0x39).contains($0) }),
                u[2...3].allSatisfy({ (0x41...0x5A).contains($0) }),
                u[4...5].allSatisfy({ (0x30...0x39).contains($0) })
            else { fatalError("Brin6 accepted a malformed value") }
            guard Brin6.parse(b.value).successValue == b else { fatalError("Brin6 not idempotent") }
            checkCode(s, for: b)
        case .failure(let v):
            guard v.reason == .brin6Format, !v.message.isEmpty else { fatalError("Brin6 failure without reason") }
        }
        checkCode(s, for: school)

        for (rule, max) in [
            (TextRules.schoolName as (String, String) -> Result<String, Violation>, TextRules.schoolNameMaxLength),
            ({ TextRules.personName($0, field: $1) }, TextRules.personNameMaxLength),
        ] {
            if case .success(let name) = rule(s, "name") {
                guard !name.isEmpty, name.unicodeScalars.count <= max, name.trimmingWhitespace() == name,
                    !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
                else {
                    fatalError("a name rule accepted a bad name")
                }
            }
        }

        if let d = LocalDate(iso: s) {
            guard d.description == s else { fatalError("LocalDate round trip: \(s) -> \(d)") }
            guard LocalDate(dayNumber: d.dayNumber) == d else { fatalError("LocalDate day number round trip") }
            guard d.adding(days: 1) > d, d.adding(days: -1) < d else { fatalError("LocalDate order") }
        }
        if let date = Instant.parse(s) {
            let u = Array(s.utf8)
            if u.count == 20, !(u[17] == 0x36 && u[18] == 0x30) {
                guard Instant.rfc3339(date) == s else {
                    fatalError("Instant round trip: \(s) -> \(Instant.rfc3339(date))")
                }
            } else if u.count == 10 {
                guard Instant.rfc3339(date) == s + "T00:00:00Z" else { fatalError("Instant date round trip") }
            } else if u.count != 20 {
                fatalError("Instant accepted \(u.count) bytes")
            }
        }
        if let t = LocalTime(s) {
            guard t.description == s, (0..<86400).contains(t.secondsIntoDay) else { fatalError("LocalTime round trip") }
        }
        if CatalogRules.isSlug(s) {
            guard (2...64).contains(s.utf8.count), !s.containsBytes(of: "--"),
                s.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D })
            else {
                fatalError("isSlug accepted \(s.debugDescription)")
            }
        }
    }

    static func checkCode(_ s: String, for school: Brin6) {
        switch VerificationCode.validate(s, for: school) {
        case .success(let code):
            let u = Array(s.utf8)
            guard (VerificationCode.minLength...VerificationCode.maxLength).contains(u.count),
                u.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
                ),
                String(decoding: u.prefix(6), as: UTF8.self).uppercased() == school.value
            else {
                fatalError("VerificationCode accepted a bad code")
            }
            // The secret never shows in its descriptions.
            if code.description.containsBytes(of: s) || code.debugDescription.containsBytes(of: s)
                || String(reflecting: code).containsBytes(of: s)
            {
                fatalError("a verification code printed its plain text")
            }
        case .failure(let e):
            guard !e.violations.isEmpty else { fatalError("VerificationCode failure without violations") }
        }
    }

    static func checkActivation(_ input: ActivationInput, thorough: Bool = true) {
        let code = input.verificationCode
        if thorough, code.count >= 8 {
            // The code may show nowhere it would not show had it been another code.
            var other = input
            other.verificationCode = String(repeating: "#", count: code.unicodeScalars.count)
            func renderings(_ i: ActivationInput) -> [String] {
                var dumped = ""
                dump(i, to: &dumped)
                return [i.description, i.debugDescription, String(reflecting: i), "\(i)", dumped]
            }
            for (leaky, clean) in zip(renderings(input), renderings(other))
            where leaky.containsBytes(of: code) && !clean.containsBytes(of: code) {
                fatalError("ActivationInput printed its verification code")
            }
        }
        switch ActivationRules.validate(input, today: today) {
        case .success(let v):
            guard Brin6.parse(input.school).successValue == v.school, !v.koppeling.isEmpty, input.agree,
                v.startDate >= today, v.code.plainText == code, v.endDate.map({ $0 >= v.startDate }) ?? true
            else { fatalError("ActivationRules accepted a bad input") }
        case .failure(let e):
            guard !e.violations.isEmpty, e.violations.allSatisfy({ !$0.field.isEmpty && !$0.message.isEmpty }) else {
                fatalError("ActivationRules failure without violations")
            }
            // Every violation must survive the trip to a reply.
            guard thorough else { return }
            let reply = ReplyEncoding.failure(id: .number(1), error: RPCError(e))
            guard reply.readableBytes > 0 else { fatalError("a rules failure did not encode") }
        }
    }

    static func checkCatalog(_ pick: (Int) -> String, price: Int?, thorough: Bool) {
        let entry = CatalogEntry(
            id: pick(0),
            category: pick(1),
            name: pick(2),
            description: pick(3),
            supplier: pick(4),
            priceCents: price,
            termsText: pick(5),
            termsVersion: pick(6),
            recommendedPrerequisite: pick(7).count % 2 == 0 ? pick(7) : nil,
            carriesEckidImport: price == nil,
            dataSet: DataSet(profile: pick(9), fields: [.init(name: pick(10), description: pick(11))]),
            purpose: pick(12),
            processorAgreement: pick(13).count % 2 == 0 ? nil : ProcessorAgreement(name: pick(13), version: pick(14))
        )
        let violations = CatalogRules.validate(entry, field: "entries[0]", knownIds: [pick(8), "topdossier"])
        if violations.isEmpty, !CatalogRules.isSlug(entry.id) { fatalError("catalog entry with a bad id accepted") }
        guard violations.allSatisfy({ $0.field.hasPrefix("entries[0].") }) else {
            fatalError("catalog violation field")
        }
        _ = entry.priceText
        guard thorough else { return }
        guard (try? JSONEncoder().encode(entry)) != nil else { fatalError("catalog entry does not encode") }
    }

    /// The typed params of every method, when the line decodes as them.
    static func checkDecodedParams(_ line: Data) {
        func decode<P: Decodable>(_ type: P.Type) -> P? {
            (try? JSONDecoder().decode(ParamsOf<P>.self, from: line))?.params
        }
        if let p = decode(SchoolAddParams.self) {
            checkString(p.brin6)
            _ = TextRules.schoolName(p.name)
        }
        if let p = decode(SchoolImportParams.self) {
            for row in p.schools.prefix(64) {
                checkString(row.brin6)
                _ = TextRules.schoolName(row.name)
            }
        }
        if let p = decode(CatalogLoadParams.self) {
            let known = Set(p.entries.map(\.id))
            for (i, e) in p.entries.prefix(64).enumerated() {
                let v = CatalogRules.validate(e, field: "entries[\(i)]", knownIds: known)
                if v.isEmpty, !CatalogRules.isSlug(e.id) { fatalError("catalog entry with a bad id accepted") }
                _ = e.priceText
            }
        }
        if let p = decode(ActivationInput.self) { checkActivation(p) }
        if let p = decode(ActivateManyParams.self) {
            for row in p.schools.prefix(16) {
                checkActivation(
                    ActivationInput(
                        school: row.brin6,
                        koppeling: p.koppeling,
                        name: p.name,
                        agree: p.agree,
                        termsVersion: p.termsVersion,
                        verificationCode: row.verificationCode,
                        startDate: p.startDate,
                        endDate: p.endDate
                    )
                )
                let code = row.verificationCode
                var other = row
                other.verificationCode = String(repeating: "#", count: code.unicodeScalars.count)
                if code.count >= 8, String(reflecting: row).containsBytes(of: code),
                    !String(reflecting: other).containsBytes(of: code)
                {
                    fatalError("a row of activate_many printed its verification code")
                }
            }
        }
        if let p = decode(ReacceptParams.self) {
            checkString(p.brin6)
            checkString(p.termsVersion)
        }
        if let p = decode(AuditListParams.self) {
            if let since = p.since { checkString(since) }
            _ = p.limit.map { (1...10_000).contains($0) }
        }
        if let p = decode(SetKeyParams.self) {
            checkString(p.brin6)
            checkString(p.key)
        }
        if let p = decode(DeactivateParams.self) {
            checkString(p.brin6)
            checkString(p.koppeling)
        }
    }
}

/// `params` of a request line as `P`.
struct ParamsOf<P: Decodable>: Decodable {
    let params: P
}

extension Result {
    var successValue: Success? {
        if case .success(let v) = self { return v }
        return nil
    }
}

extension String {
    /// Whether `other`'s UTF-8 bytes occur in this string's. Foundation's
    /// `contains(_:)` traps on some strings with NUL characters (found by
    /// this target, crash-ef5d547b…, now in Fuzz/corpus/), and for a secret
    /// the bytes are what count.
    func containsBytes(of other: String) -> Bool {
        let haystack = Array(utf8)
        let needle = Array(other.utf8)
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return true
        }
        return false
    }
}
