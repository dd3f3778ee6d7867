import Foundation
import KoppelingCore
import KoppelingProtocol
import Testing

/// A socket-level fuzzer: random and mutated request lines against the built
/// daemon, pipelined in batches. Every reply must be a JSON-RPC 2.0 reply,
/// and after every batch the daemon must still be running and answer
/// `hello` on the same connection (or on a new one, after an oversized line
/// made it close the old one).
///
/// `KOPPELING_FUZZ_INPUTS` sets the number of inputs (default 20,000, the CI
/// run; the long run uses 1,000,000). `KOPPELING_FUZZ_SEED` replays a run:
/// the seed is printed at the start and in every failure.
@Suite("Socket fuzzing: random and mutated lines to a live daemon", .secretCanary)
struct SocketFuzzTests {
    static let defaultInputs = 20_000

    @Test("every input gets a JSON-RPC reply and the daemon keeps answering")
    func fuzzTheSocket() throws {
        let environment = ProcessInfo.processInfo.environment
        let inputs = environment["KOPPELING_FUZZ_INPUTS"].flatMap { Int($0) } ?? Self.defaultInputs
        let seed = environment["KOPPELING_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print(
            "SocketFuzzTests: seed \(seed), \(inputs) inputs (replay: KOPPELING_FUZZ_SEED=\(seed) KOPPELING_FUZZ_INPUTS=\(inputs))"
        )

        let daemon = try DaemonProcess()
        var generator = FuzzGenerator(seed: seed, inputs: inputs)
        var stats = FuzzStats()
        let started = Date()
        var connection = try FuzzConnection(path: daemon.socketPath)

        // A few schools and an activation, so valid requests reach the register.
        for line in generator.setupLines() {
            let reply = try #require(try connection.call(line), "seed \(seed): no reply to set-up line \(line)")
            try #require(reply.isReply, "seed \(seed): set-up line \(line) got \(reply)")
        }

        var sent = 0
        var batchNumber = 0
        while sent < inputs {
            batchNumber += 1
            let batch = generator.batch(maxInputs: inputs - sent)
            let context = "seed \(seed), batch \(batchNumber), inputs \(sent)..<\(sent + batch.inputs.count)"
            let result = connection.exchange(batch: batch, sentinelID: "fuzz-sentinel-\(batchNumber)")
            stats.record(result)
            for problem in result.problems {
                Issue.record("\(context): \(problem)\n\(batch.describe())")
            }
            if result.closed {
                // Only an oversized line may close the connection.
                #expect(batch.oversized, "\(context): the daemon closed the connection\n\(batch.describe())")
                #expect(result.sawLineTooLong || !batch.oversized, "\(context): closed without a line_too_long reply")
                stats.reconnects += 1
                guard daemon.process.isRunning else { break }
                connection = try FuzzConnection(path: daemon.socketPath)
                #expect(
                    try connection.call(FuzzGenerator.hello(id: "after-reconnect"))?.isHello == true,
                    "\(context): no hello on a new connection"
                )
            }
            guard daemon.process.isRunning else {
                Issue.record(
                    "\(context): the daemon exited (status \(daemon.process.terminationStatus))\n\(batch.describe())\n\(daemon.output.suffix(4000))"
                )
                break
            }
            if result.problems.count > 20 || stats.problems > 200 { break }
            sent += batch.inputs.count
            if batchNumber % 2000 == 0 {
                // stdout is buffered until the end when piped: progress goes to stderr.
                FileHandle.standardError.write(
                    Data(
                        "SocketFuzzTests: \(sent) inputs, \(Int(Date().timeIntervalSince(started))) s, seed \(seed)\n"
                            .utf8
                    )
                )
            }
        }

        let seconds = Date().timeIntervalSince(started)
        print("SocketFuzzTests: \(stats.summary(inputs: sent, seconds: seconds)), seed \(seed)")
        #expect(sent >= inputs, "seed \(seed): stopped after \(sent) of \(inputs) inputs")
        #expect(daemon.process.isRunning, "seed \(seed): the daemon is not running")
        #expect(try FuzzConnection(path: daemon.socketPath).call(FuzzGenerator.hello(id: "final"))?.isHello == true)
        // It still shuts down cleanly after all that.
        #expect(daemon.stop() == 0, "seed \(seed): unclean exit\n\(daemon.output.suffix(4000))")
        for marker in ["Fatal error", "fatal error", "Precondition failed", "Assertion failed", "Segmentation"] {
            #expect(
                !daemon.output.contains(marker),
                "seed \(seed): the daemon logged '\(marker)'\n\(daemon.output.suffix(4000))"
            )
        }
    }
}

// MARK: - Running batches

struct FuzzStats {
    var batches = 0
    var replies = 0
    var reconnects = 0
    var problems = 0
    var codes: [Int: Int] = [:]
    var results = 0
    var wellFormed = 0

    mutating func record(_ r: ExchangeResult) {
        batches += 1
        wellFormed += r.wellFormed
        replies += r.replies.count
        problems += r.problems.count
        for reply in r.replies {
            if let code = reply.errorCode { codes[code, default: 0] += 1 } else { results += 1 }
        }
    }

    func summary(inputs: Int, seconds: Double) -> String {
        let perCode = codes.sorted { $0.key > $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        return "\(inputs) inputs in \(batches) batches, \(String(format: "%.1f", seconds)) s "
            + "(\(Int(Double(inputs) / max(seconds, 0.001)))/s), \(replies) replies (\(results) results; errors \(perCode)), "
            + "\(wellFormed) of them to well-formed requests (none a parse, request or params error), "
            + "\(reconnects) reconnects after oversized lines, \(problems) problems"
    }
}

/// A reply line, checked against JSON-RPC 2.0 as the protocol uses it.
struct CheckedReply: CustomStringConvertible {
    let raw: Data
    let object: [String: JSONValue]
    var id: JSONValue? { object["id"] }
    var errorCode: Int? {
        if case .object(let e)? = object["error"], case .integer(let c)? = e["code"] { return Int(c) }
        return nil
    }
    var errorReason: String? {
        if case .object(let e)? = object["error"], case .object(let d)? = e["data"], case .string(let r)? = d["reason"]
        {
            return r
        }
        return nil
    }
    var isReply: Bool { object["result"] != nil || errorCode != nil }
    var isHello: Bool {
        if case .object(let r)? = object["result"], r["daemon"] == .string("koppelingd") { return true }
        return false
    }
    var description: String { String(decoding: raw.prefix(400), as: UTF8.self) }

    static let codes: Set<Int64> = [-32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003, -32004, -32005]

    /// The replies one line holds: one object, or a batch's array of them
    /// (JSON-RPC 2.0 §6), each checked as if it had come alone.
    static func checkLine(_ line: Data) -> [Result<CheckedReply, CheckFailure>] {
        guard line.first == UInt8(ascii: "[") else { return [check(line)] }
        guard case .array(let members)? = try? JSONDecoder().decode(JSONValue.self, from: line), !members.isEmpty else {
            return [
                .failure(
                    CheckFailure(
                        "a batch reply is not a non-empty array: \(String(decoding: line.prefix(400), as: UTF8.self))"
                    )
                )
            ]
        }
        return members.map { member in
            guard let data = try? JSONEncoder().encode(member) else {
                return .failure(CheckFailure("unencodable member"))
            }
            return check(data)
        }
    }

    /// The reply, or what is wrong with it.
    static func check(_ line: Data) -> Result<CheckedReply, CheckFailure> {
        let text = String(decoding: line.prefix(400), as: UTF8.self)
        guard case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: line) else {
            return .failure(CheckFailure("reply is not a JSON object: \(text)"))
        }
        guard o["jsonrpc"] == .string("2.0") else {
            return .failure(CheckFailure("reply without \"jsonrpc\":\"2.0\": \(text)"))
        }
        switch o["id"] {
        case .null?, .string?, .integer?: break
        default: return .failure(CheckFailure("reply without a valid id: \(text)"))
        }
        switch (o["result"], o["error"]) {
        case (.some, nil): break
        case (nil, .object(let e)?):
            guard case .integer(let code)? = e["code"], codes.contains(code) else {
                return .failure(CheckFailure("error without a known integer code: \(text)"))
            }
            guard case .string(let message)? = e["message"], !message.isEmpty else {
                return .failure(CheckFailure("error without a message: \(text)"))
            }
            if code == RPCErrorCode.internalError {
                return .failure(CheckFailure("internal error (-32603): \(text)"))
            }
            if let data = e["data"] {
                guard case .object(let d) = data, case .string? = d["reason"] else {
                    return .failure(CheckFailure("error data without a reason: \(text)"))
                }
            }
        default:
            return .failure(CheckFailure("reply needs exactly one of result and error: \(text)"))
        }
        return .success(CheckedReply(raw: line, object: o))
    }

    struct CheckFailure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}

struct ExchangeResult {
    var replies: [CheckedReply] = []
    var problems: [String] = []
    /// The daemon closed the connection.
    var closed = false
    var sawLineTooLong = false
    /// Replies to well-formed requests (ids `valid-…`).
    var wellFormed = 0
}

/// One client connection: writes a batch from a second thread while this
/// one reads the replies, so neither side can block the other.
final class FuzzConnection: @unchecked Sendable {
    let socket: RawSocket

    init(path: String) throws {
        socket = try RawSocket(path: path, timeoutSeconds: 60)
    }

    /// Sends one line and reads one reply.
    func call(_ line: String) throws -> CheckedReply? {
        socket.send(line + "\n")
        return try CheckedReply.check(socket.readLine()).get()
    }

    /// Sends the batch, then (unless it ends in an oversized line) a
    /// `hello` with `sentinelID`; reads replies until that hello's reply,
    /// or until the daemon closes the connection.
    func exchange(batch: FuzzBatch, sentinelID: String) -> ExchangeResult {
        var bytes = batch.bytes
        if !batch.oversized { bytes += Array((FuzzGenerator.hello(id: sentinelID) + "\n").utf8) }
        let done = DispatchSemaphore(value: 0)
        let payload = bytes
        Thread.detachNewThread { [self] in
            self.socket.send(payload)
            done.signal()
        }
        defer { done.wait() }

        var result = ExchangeResult()
        // At most one reply line per line the daemon can see, plus the
        // sentinel (a batch's replies share its one line).
        let maxReplies = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + 1
        var replyLines = 0
        while true {
            let line: Data
            do {
                line = try socket.readLine()
                replyLines += 1
            } catch {
                if error == .closed {
                    result.closed = true
                } else {
                    result.problems.append("no reply within 60 s (\(result.replies.count) replies so far)")
                }
                if !batch.oversized, error == .closed {
                    result.problems.append("connection closed before the sentinel's reply")
                }
                return result
            }
            for checked in CheckedReply.checkLine(line) {
                switch checked {
                case .failure(let f): result.problems.append(f.description)
                case .success(let reply):
                    result.replies.append(reply)
                    if reply.errorReason == "line_too_long" {
                        result.sawLineTooLong = true
                        if !batch.oversized {
                            result.problems.append("line_too_long for a batch without an oversized line")
                        }
                    }
                    // A well-formed request is never taken for a malformed one.
                    if case .string(let id)? = reply.id, id.hasPrefix(FuzzGenerator.validPrefix) {
                        result.wellFormed += 1
                        if let code = reply.errorCode,
                            [
                                RPCErrorCode.parseError, RPCErrorCode.invalidRequest, RPCErrorCode.methodNotFound,
                                RPCErrorCode.invalidParams,
                            ].contains(code)
                        {
                            let input = batch.inputs.first { $0.id == id }
                            result.problems.append(
                                "well-formed request got \(code): \(reply)\n  request: \(input.map { String(decoding: $0.bytes.prefix(600), as: UTF8.self) } ?? "?")"
                            )
                        }
                    }
                    if reply.id == .string(sentinelID) {
                        if !reply.isHello { result.problems.append("the sentinel hello got \(reply)") }
                        return result
                    }
                }
            }
            if replyLines > maxReplies {
                result.problems.append("more reply lines (\(replyLines)) than lines sent (\(maxReplies))")
                return result
            }
        }
    }
}

// MARK: - Generating inputs

struct FuzzBatch {
    struct Input {
        let kind: String
        let bytes: [UInt8]
        /// The id of a well-formed request (kind "valid").
        var id: String? = nil
    }
    var inputs: [Input] = []
    /// The last input is longer than the protocol's line limit.
    var oversized = false

    var bytes: [UInt8] {
        var out: [UInt8] = []
        for input in inputs {
            out += input.bytes
            out.append(0x0A)
        }
        return out
    }

    /// The inputs, shortened, for a failure message.
    func describe() -> String {
        inputs.map { input in
            let shown = input.bytes.prefix(300).map { b -> String in
                b >= 0x20 && b < 0x7F && b != 0x5C ? String(UnicodeScalar(b)) : String(format: "\\x%02X", b)
            }.joined()
            return "  [\(input.kind), \(input.bytes.count) bytes] \(shown)\(input.bytes.count > 300 ? "…" : "")"
        }.joined(separator: "\n")
    }
}

/// A JSON text built by hand, so it can hold what no encoder writes:
/// 1e400, 20-digit integers, lone surrogate escapes, raw control bytes.
indirect enum J {
    case raw(String)
    case string(String)
    case array([J])
    case object([(String, J)])

    var text: String {
        switch self {
        case .raw(let s): s
        case .string(let s): J.quote(s)
        case .array(let a): "[" + a.map(\.text).joined(separator: ",") + "]"
        case .object(let o): "{" + o.map { J.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (faster than an encoder per string).
    static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

struct FuzzGenerator {
    var rng: SplitMix64
    /// Valid `backup.create` calls left: each writes a copy of the database.
    var backupsLeft: Int
    var nextID: Int64 = 1
    /// Verification codes used in activations, per school: the ECKiD key
    /// of `eckid.set_key` must equal one.
    var codes: [String: String] = [:]
    /// Ids of well-formed requests: their replies may be refusals, never
    /// parse errors, invalid requests or invalid params.
    static let validPrefix = "valid-"
    var validCount = 0

    static let schools = (0..<24).map { "\(10 + $0)\(["QW", "AB", "ZZ", "FU"][$0 % 4])0\($0 % 3)" }
    static let koppelingen = ["topdossier", "topdossier-eckid", "fuzz-kop", "fuzz-kop-2"]
    /// Param names of every method, from its descriptor.
    static func paramKeys(_ method: AnyMethod) -> [String] { method.paramKeys.sorted() }

    /// The member names of a `school.import` row and a catalogue entry, as
    /// their encoders write them.
    static let rowKeys = jsonKeys(SchoolImportParams.Row(brin6: "21QW00", name: "x"))
    static let entryKeys = jsonKeys(
        CatalogEntry(
            id: "a",
            category: "b",
            name: "c",
            description: "d",
            supplier: "e",
            priceCents: 1,
            termsText: "f",
            termsVersion: "g",
            recommendedPrerequisite: "h",
            carriesEckidImport: true,
            dataSet: DataSet(profile: "i", fields: []),
            purpose: "j",
            processorAgreement: ProcessorAgreement(name: "k", version: "l")
        )
    )
    static func jsonKeys(_ value: some Encodable) -> [String] {
        guard let data = try? JSONEncoder().encode(value),
            case .object(let o)? = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return [] }
        return o.keys.sorted()
    }

    static func hello(id: String) -> String { #"{"jsonrpc":"2.0","id":"# + J.quote(id) + #","method":"hello"}"# }

    init(seed: UInt64, inputs: Int) {
        rng = SplitMix64(seed: seed)
        backupsLeft = 2 + inputs / 250_000
        precondition(Self.rowKeys == ["brin6", "name"], "row keys: \(Self.rowKeys)")
        precondition(Self.entryKeys.count == 18, "entry keys: \(Self.entryKeys)")
    }

    // MARK: random helpers

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    mutating func request(_ method: String, _ params: J?, id: J? = nil) -> String {
        var members: [(String, J)] = [("jsonrpc", .string("2.0"))]
        if let id {
            members.append(("id", id))
        } else {
            members.append(("id", .raw(String(nextID))))
            nextID += 1
        }
        members.append(("method", .string(method)))
        if let params { members.append(("params", params)) }
        return J.object(members).text
    }

    func setupLines() -> [String] {
        var lines = Self.schools.prefix(12).enumerated().map { i, s in
            #"{"jsonrpc":"2.0","id":"setup-\#(i)","method":"school.add","params":{"brin6":"\#(s)","name":"Fuzzschool \#(i)"}}"#
        }
        lines.append(#"{"jsonrpc":"2.0","id":"setup-cat","method":"catalog.list"}"#)
        return lines
    }

    // MARK: values

    static let oddStrings: [String] = [
        "\u{200F}OBS De Regenboog\u{200E}", "\u{202E}goobneger eD SBO", "e" + String(repeating: "\u{0301}", count: 60),
        "Z\u{0364}\u{0351}a\u{0308}\u{0356}l\u{036E}g\u{030C}o\u{0319}", "🏫 School 👩‍👩‍👧‍👦🇳🇱", "line\u{2028}sep\u{2029}para",
        "\u{FEFF}21QW00", "\u{00A0}21QW00\u{00A0}", "\u{3000}21qw00\u{3000}", "21ß00", "21ıW00", "İstanbul", "２１ＱＷ００",
        "٢١QW٠٠", "𝟐𝟏𝐐𝐖𝟎𝟎", "\u{007F}del", "nel\u{0085}", "\u{FFFD}\u{FFFF}\u{10FFFF}", "tab\there", "cr\rlf\n",
        "\u{0000}", "a\u{0000}b", "", " ", "\u{2003}\u{2003}", String(repeating: "x", count: 201),
        String(repeating: "é", count: 100), String(repeating: "e\u{0301}", count: 101),
        String(repeating: "🇳🇱", count: 100),
        "Robert'); DROP TABLE school;--", "%s%n%x", "../../etc/passwd", "${HOME}", "<script>", "NULL", "null", "true",
        "\u{1F600}\u{200D}\u{1F600}", "\u{E000}private", "Ǆǅǆ", "ﬀ", "K\u{212A}", "Å\u{212B}",
    ]

    /// Raw JSON string literals no encoder writes.
    static let oddLiterals = [
        #""\ud800""#, #""\udc00\ud800""#, #""\ud83d""#, #""a\u0000b""#, #""\u0085\u2028""#, #""\uFFFF""#,
        #""\/\b\f\n\r\t""#, #""\x41""#, #""\u12""#, #""\uZZZZ""#, #""\""#, "\"\u{01}\"", "\"\t\"",
    ]

    static let hugeNumbers = [
        "1e400", "-1e400", "1e-400", "99999999999999999999", "-99999999999999999999",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "1.7976931348623157e309", "123456789012345678901234567890.5", "-0", "0.0", "1E+2", "1e2",
        "00", "01", "-", "+1", ".5", "5.", "0x10", "NaN", "Infinity", "-Infinity", "1_000",
    ]

    mutating func wrongValue() -> J {
        switch int(0...11) {
        case 0: return .raw("null")
        case 1: return .raw(pick(["0", "-1", "1.5", "42", "2147483648"]))
        case 2: return .raw(pick(Self.hugeNumbers))
        case 3: return .raw(pick(["true", "false"]))
        case 4: return .raw(pick(["[]", #"[1,"a",null]"#, #"["21QW00"]"#, "[[[]]]"]))
        case 5: return .raw(pick(["{}", #"{"a":1}"#, #"{"brin6":"21QW00"}"#, #"{"":null}"#]))
        case 6: return .string(String(repeating: pick(["a", "é", "🏫", "\u{0301}", " "]), count: int(1...20_000)))
        case 7: return .raw(pick(Self.oddLiterals))
        case 8: return .string(pick(Self.oddStrings))
        case 9: return deep(depth: int(1...600))
        case 10: return .string("")
        default:
            return .raw(
                pick(["\"21QW00\"", "\"topdossier\"", "\"2026-13-45\"", "\"25:61\"", "\"2026-02-29T24:00:00Z\""])
            )
        }
    }

    mutating func deep(depth: Int) -> J {
        let open = pick(["[", #"{"a":"#, #"[{"b":["#])
        let close = open == "[" ? "]" : open == #"{"a":"# ? "}" : "]}]"
        let inner =
            String(repeating: open, count: depth) + pick(["1", "null", "\"x\"", "{}", "[]"])
            + String(repeating: close, count: depth)
        return .raw(inner)
    }

    mutating func brin6() -> String {
        switch int(0...9) {
        case 0: return Self.schools.randomElement(using: &rng)!.lowercased()
        case 1: return "  " + pick(Self.schools) + "\t"
        case 2: return pick(Self.oddStrings)
        case 3: return pick(["21QW0", "21QW000", "2QW100", "AAQW00", "21Q100", "", "99ZZ99"])
        default: return pick(Self.schools)
        }
    }

    mutating func name() -> String {
        chance(0.3)
            ? pick(Self.oddStrings)
            : "School " + pick(["De Regenboog", "'t Kompas", "Sint-Jozef", "Ñandú", "Ōtaki"]) + " \(int(1...99))"
    }

    mutating func code(for school: String) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        let length = chance(0.8) ? int(20...50) : int(0...60)
        var s = chance(0.85) ? school.uppercased() : pick(["", "21qw00", "ZZ", pick(Self.schools)])
        while s.count < length { s.append(alphabet[int(0...(alphabet.count - 1))]) }
        if chance(0.05) {
            s.insert(
                contentsOf: pick([" ", "-", "é", "\u{200B}", "!"]),
                at: s.index(s.startIndex, offsetBy: min(s.count, 8))
            )
        }
        return s
    }

    mutating func date() -> String {
        switch int(0...5) {
        case 0:
            return pick([
                "2026-02-29", "2024-02-29", "2026-13-01", "0000-01-01", "9999-12-31", "2026-1-1", "2026/12/01", "",
            ])
        case 1: return String(format: "%04d-%02d-%02d", int(1990...2100), int(0...13), int(0...32))
        default: return pick(Self.upcomingDates)
        }
    }

    /// Today and the 400 days after it, in the daemon's zone.
    static let upcomingDates: [String] = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Amsterdam")!
        let today = calendar.startOfDay(for: Date())
        return (0...400).map { days in
            let c = calendar.dateComponents(
                [.year, .month, .day],
                from: calendar.date(byAdding: .day, value: days, to: today)!
            )
            return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
        }
    }()

    /// A plausible value for each param; mostly valid.
    mutating func value(method: AnyMethod, key: String) -> J {
        switch key {
        case "brin6": return .string(brin6())
        case "name": return .string(name())
        case "koppeling", "id": return .string(chance(0.9) ? pick(Self.koppelingen) : pick(Self.oddStrings))
        case "agree": return .raw(chance(0.85) ? "true" : "false")
        case "verification_code": return .string(code(for: pick(Self.schools)))
        case "start_date", "end_date": return chance(0.3) ? .raw("null") : .string(date())
        case "terms_version": return .string(chance(0.9) ? "2024.1" : pick(Self.oddStrings))
        case "include_ended": return .raw(chance(0.5) ? "true" : "false")
        case "reason": return chance(0.5) ? .raw("null") : .string(name())
        case "key": return .string(codes.values.randomElement(using: &rng) ?? code(for: pick(Self.schools)))
        case "since":
            return .string(
                chance(0.5)
                    ? date()
                    : pick([
                        "2026-11-29T05:18:54Z", "2000-01-01T00:00:00Z", "2026-11-29T05:18:60Z", "2026-11-29 05:18:54",
                    ])
            )
        case "limit": return .raw(chance(0.02) ? "10000" : String(int(-2...60)))
        case "schools" where method == Methods.koppelingActivateMany.erased:
            return .array((0..<int(0...6)).map { _ in manySchoolsRow() })
        case "schools": return .array((0..<int(0...6)).map { _ in schoolRow() })
        case "entries": return .array((0..<int(0...3)).map { _ in catalogEntry() })
        case "from", "to": return .string(chance(0.9) ? date() : pick(Self.oddStrings))
        case "number": return .string(chance(0.8) ? String(int(10_000...99_999)) : pick(Self.oddStrings))
        case "privacy_officer":
            return .object([
                ("name", .string(name())),
                ("email", .string(chance(0.8) ? "fg\(int(1...9))@bestuur.nl" : pick(Self.oddStrings))),
            ])
        default: return .string(name())
        }
    }

    mutating func schoolRow() -> J {
        .object([("brin6", .string(brin6())), ("name", .string(name()))])
    }

    /// A row of `koppeling.activate_many`: a school and its own code.
    mutating func manySchoolsRow() -> J {
        let school = brin6()
        return .object([("brin6", .string(school)), ("verification_code", .string(code(for: school)))])
    }

    mutating func catalogEntry() -> J {
        let id =
            chance(0.8)
            ? pick(Self.koppelingen.dropFirst(2).map { $0 })
            : pick(["Bad Id", "a", "-x-", "x--y", String(repeating: "a", count: 65)])
        var members: [(String, J)] = []
        for key in Self.entryKeys {
            let v: J =
                switch key {
                case "id": .string(id)
                case "price_cents": .raw(chance(0.3) ? "null" : String(int(-5...100_000_001)))
                case "recommended_prerequisite": chance(0.6) ? .raw("null") : .string(pick(Self.koppelingen))
                case "carries_eckid_import": .raw("false")
                case "terms_text": .string(chance(0.9) ? "Voorwaarden \(int(1...9))" : pick(Self.oddStrings))
                case "data_set":
                    .object([
                        ("profile", .string(chance(0.9) ? "UWLR Fuzz" : pick(Self.oddStrings))),
                        (
                            "fields",
                            .array(
                                (0..<int(0...3)).map { _ in
                                    .object(
                                        [("name", .string(name())), ("description", .string(name()))]
                                            + (chance(0.5)
                                                ? [
                                                    (
                                                        "data_subjects",
                                                        .array([.string(pick(["leerling", "ouder", "X", ""]))])
                                                    )
                                                ] : [])
                                    )
                                }
                            )
                        ),
                    ])
                case "processor_agreement":
                    chance(0.4)
                        ? .raw("null") : .object([("name", .string(name())), ("version", .string("\(int(1...5)).0"))])
                case "legal_basis", "retention", "recipients", "transfers", "security":
                    chance(0.5) ? .raw("null") : .string(chance(0.8) ? "Fuzz \(key) \(int(1...9))" : pick(Self.oddStrings))
                default: .string(chance(0.8) ? "Fuzz \(key) \(int(1...9))" : pick(Self.oddStrings))
                }
            members.append((key, v))
        }
        return .object(members)
    }

    /// Params with every key a plausible value; `nil` for no params.
    mutating func params(_ method: AnyMethod) -> J? {
        let keys = Self.paramKeys(method)
        if keys.isEmpty { return pick([nil, .raw("{}"), .raw("null")]) }
        var members: [(String, J)] = []
        for key in keys {
            // Optional params are sometimes left out.
            if ["start_date", "end_date", "reason", "since", "limit", "include_ended"].contains(key)
                || (method == Methods.eckidStatus.erased || method == Methods.auditList.erased), chance(0.3)
            {
                continue
            }
            members.append((key, value(method: method, key: key)))
        }
        return .object(members)
    }

    /// A well-formed request for `method` (its params may break rules).
    mutating func validRequest(_ method: AnyMethod, id: String? = nil) -> String {
        var method = method
        if method == Methods.backupCreate.erased {
            if backupsLeft > 0 { backupsLeft -= 1 } else { method = Methods.status.erased }
        }
        let p = params(method)
        if method == Methods.koppelingActivate.erased, case .object(let m)? = p,
            let school = m.first(where: { $0.0 == "brin6" }).map({ $0.1 }), case .string(let s) = school,
            let c = m.first(where: { $0.0 == "verification_code" }).map({ $0.1 }), case .string(let code) = c
        {
            codes[s] = code
        }
        return request(method.name, p, id: id.map { .string($0) })
    }

    /// Every method except a valid `backup.create` (its budget is spent
    /// on purpose).
    mutating func anyMethod() -> AnyMethod { pick(Methods.all) }

    // MARK: input kinds

    mutating func wrongTypeRequest() -> String {
        var method = anyMethod()
        var keys = Self.paramKeys(method)
        if keys.isEmpty {
            // No params to get wrong: give the params themselves the wrong type.
            if method == Methods.backupCreate.erased || chance(0.5) {
                return request(
                    method.name,
                    .raw(pick(["[]", "1", #""x""#, "true", #"{"x":1}"#, "[null]", "1e400"]))
                )
            }
            method = pick([
                Methods.schoolAdd.erased, Methods.koppelingActivate.erased, Methods.catalogLoad.erased,
                Methods.schoolImport.erased, Methods.auditList.erased,
            ])
            keys = Self.paramKeys(method)
        }
        guard case .object(var members)? = params(method) else { return request(method.name, nil) }
        let target = pick(keys)
        members.removeAll { $0.0 == target }
        switch int(0...9) {
        case 0: break  // missing
        case 1:
            members.append(
                (pick(["brin", "BRIN6", "extra", "", "verificationCode", "__proto__", "brin6 "]), .string("x"))
            )
        case 2 where target == "schools" || target == "entries":
            // A wrong type inside a row or an entry.
            let rowKeys =
                target == "entries"
                ? Self.entryKeys
                : method == Methods.koppelingActivateMany.erased ? ["brin6", "verification_code"] : Self.rowKeys
            let generated =
                target == "entries"
                ? catalogEntry() : method == Methods.koppelingActivateMany.erased ? manySchoolsRow() : schoolRow()
            guard case .object(var row) = generated else { break }
            let k = pick(rowKeys)
            row.removeAll { $0.0 == k }
            if chance(0.8) { row.append((k, wrongValue())) }
            members.append(
                (target, .array([row.isEmpty ? .raw("{}") : .object(row), chance(0.5) ? wrongValue() : .object(row)]))
            )
        case 3:
            members.append((target, wrongValue()))
            members.append((target, value(method: method, key: target)))  // duplicate key
        default: members.append((target, wrongValue()))
        }
        if chance(0.5) { members.shuffle(using: &rng) }
        return request(method.name, .object(members))
    }

    mutating func oddUnicodeRequest() -> String {
        let method = pick([
            Methods.schoolAdd.erased, Methods.schoolImport.erased, Methods.koppelingActivate.erased,
            Methods.koppelingDeactivate.erased, Methods.schoolGet.erased, Methods.catalogLoad.erased,
            Methods.eckidSetKey.erased, Methods.auditList.erased, Methods.catalogGet.erased,
            Methods.koppelingOverview.erased,
        ])
        guard case .object(var members)? = params(method), !members.isEmpty else { return validRequest(method) }
        let i = int(0...(members.count - 1))
        members[i].1 =
            chance(0.7)
            ? .string(pick(Self.oddStrings) + (chance(0.5) ? pick(Self.oddStrings) : ""))
            : .raw(pick(Self.oddLiterals))
        if chance(0.2) { return request(pick(Self.oddStrings), .object(members)) }  // odd method name
        return request(method.name, .object(members))
    }

    mutating func envelopeRequest() -> String {
        let method =
            chance(0.8)
            ? anyMethod().name
            : pick(["", "HELLO", "hello ", "school.", ".", "school.add\u{0000}", "rpc.discover"])
        // A valid backup.create is on a budget: here its params are always wrong.
        let isBackup = method == Methods.backupCreate.name
        let validParams = isBackup ? nil : Methods.named(method).flatMap { params($0) }
        var members: [(String, J)] = []
        let idChoices: [J] = [
            .raw("1"), .raw("-7"), .raw("null"), .raw("1.5"), .raw(pick(Self.hugeNumbers)), .raw("true"),
            .raw("[1]"), .raw(#"{"a":1}"#), .string(""), .string(pick(Self.oddStrings)), .raw(pick(Self.oddLiterals)),
        ]
        if chance(0.8) {
            members.append(
                (
                    "jsonrpc",
                    chance(0.7) ? .string("2.0") : .raw(pick(["2", "2.0", #""1.0""#, #""2.00""#, "null", #"" 2.0""#]))
                )
            )
        }
        if chance(0.85) { members.append(("id", pick(idChoices))) }
        if chance(0.9) { members.append(("method", chance(0.8) ? .string(method) : wrongValue())) }
        if let validParams, chance(0.7) {
            members.append(("params", validParams))
        } else if isBackup || chance(0.3) {
            members.append(("params", .raw(pick(["[]", "1", #""x""#, "true", #"{"x":1}"#]))))
        }
        if chance(0.2) { members.append((pick(["result", "error", "extra", "jsonrpc"]), wrongValue())) }
        members.shuffle(using: &rng)
        switch int(0...9) {
        case 0: return "[" + J.object(members).text + "," + J.object(members).text + "]"  // a batch
        case 1:
            return pick([
                "", " ", "\t\r", "{}", "[]", "null", "0", "\"hello\"", "{\"jsonrpc\":\"2.0\"}", "}", "{", "\r",
            ])
        default: return J.object(members).text
        }
    }

    mutating func hugeNumberRequest() -> String {
        let method = pick([
            Methods.auditList.erased, Methods.catalogLoad.erased, Methods.koppelingActivate.erased,
            Methods.schoolGet.erased, Methods.hello.erased,
        ])
        guard case .object(var members)? = params(method) ?? .object([]) else { return validRequest(method) }
        let n = J.raw(pick(Self.hugeNumbers))
        switch method {
        case Methods.auditList.erased:
            members.removeAll { $0.0 == "limit" }
            members.append(("limit", n))
        case Methods.catalogLoad.erased:
            if case .object(var e) = catalogEntry() {
                e.removeAll { $0.0 == "price_cents" }
                e.append(("price_cents", n))
                members = [("entries", .array([.object(e)]))]
            }
        case Methods.koppelingActivate.erased:
            members.removeAll { $0.0 == "agree" }
            members.append(("agree", n))
        default: return request(method.name, method == Methods.hello.erased ? nil : .object(members), id: n)
        }
        return request(method.name, .object(members), id: chance(0.3) ? n : nil)
    }

    mutating func deepRequest() -> [UInt8] {
        let depth = chance(0.05) ? int(10_000...100_000) : int(1...3000)
        switch int(0...4) {
        case 0: return Array(deep(depth: depth).text.utf8)
        case 1: return Array(String(repeating: pick(["[", "{", #"{"a":"#, "[{"]), count: depth).utf8)  // unclosed
        case 2: return Array(request(Methods.schoolGet.name, .object([("brin6", deep(depth: depth))])).utf8)
        case 3: return Array(request(Methods.hello.name, nil, id: deep(depth: depth)).utf8)
        default: return Array(request(Methods.catalogLoad.name, .object([("entries", deep(depth: depth))])).utf8)
        }
    }

    static let interestingBytes: [UInt8] = [
        0x00, 0xFF, 0xFE, 0xC0, 0xC3, 0x80, 0xBF, 0xED, 0xF4, 0xF8, 0x22, 0x5C, 0x7B, 0x7D,
        0x5B, 0x5D, 0x2C, 0x3A, 0x0D, 0x09, 0x20, 0x7F, 0x30, 0x2D, 0x65,
    ]
    static let badSequences: [[UInt8]] = [
        [0xC3], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x80], [0x80, 0x80], [0xEF, 0xBB, 0xBF], [0x00], [0x00, 0x00],
        [0xE2, 0x80, 0xA8], [0xE2, 0x80, 0x8F],
    ]
    static let tokens: [String] = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "null", "true", "1e400", "-", "\"brin6\"",
        "\"params\"", "\"id\"", "\"method\"", "\"jsonrpc\"", "\"2.0\"", ",\"x\":1", "\"21QW00\"", "\r",
    ]

    /// Byte-level mutations of a valid line.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0..<int(1...6) {
            if b.isEmpty {
                b = [pick(Self.interestingBytes)]
                continue
            }
            let at = int(0...(b.count - 1))
            switch int(0...8) {
            case 0: b[at] ^= UInt8(1 << int(0...7))
            case 1: b[at] = pick(Self.interestingBytes)
            case 2: b.insert(contentsOf: pick(Self.badSequences), at: at)
            case 3: b.insert(contentsOf: Array(pick(Self.tokens).utf8), at: at)
            case 4: b.removeSubrange(at..<min(b.count, at + int(1...16)))
            case 5:
                let end = min(b.count, at + int(1...32))
                b.insert(contentsOf: Array(b[at..<end]), at: int(0...b.count))
            case 6: b = Array(b.prefix(at))  // truncated
            case 7: b[at] = UInt8(truncatingIfNeeded: int(0...255))
            default:
                // A digit run becomes a huge number.
                if let d = b[at...].firstIndex(where: { (0x30...0x39).contains($0) }) {
                    b.insert(contentsOf: Array("99999999999999999999".utf8), at: d)
                }
            }
        }
        // A newline would only split the input in two; keep it one line mostly.
        if chance(0.9) { b = b.map { $0 == 0x0A ? 0x20 : $0 } }
        return b
    }

    mutating func invalidUTF8Request() -> [UInt8] {
        var b = Array(
            validRequest(
                pick([
                    Methods.schoolAdd.erased, Methods.schoolGet.erased, Methods.koppelingActivate.erased,
                    Methods.hello.erased, Methods.auditList.erased,
                ])
            ).utf8
        )
        // Inside a string, mostly: just after an opening quote.
        let quotes = b.indices.filter { b[$0] == 0x22 }
        for _ in 0..<int(1...3) {
            let at = chance(0.8) && !quotes.isEmpty ? min(b.count, pick(quotes) + 1) : int(0...b.count)
            b.insert(contentsOf: pick(Self.badSequences), at: min(at, b.count))
        }
        return b
    }

    mutating func randomBytes() -> [UInt8] {
        switch int(0...3) {
        case 0:
            return (0..<int(0...300)).map { _ in UInt8(truncatingIfNeeded: int(0...255)) }.map {
                $0 == 0x0A ? 0x0D : $0
            }
        case 1: return (0..<int(1...60)).flatMap { _ in Array(pick(Self.tokens).utf8) }
        case 2: return (0..<int(1...40)).map { _ in pick(Self.interestingBytes) }
        default:
            return Array(String((0..<int(1...80)).map { _ in Character(UnicodeScalar(UInt8(int(0x20...0x7E)))) }).utf8)
        }
    }

    mutating func nextInput() -> FuzzBatch.Input {
        let r = int(0...99)
        switch r {
        case 0..<12:
            validCount += 1
            let id = "\(Self.validPrefix)\(validCount)"
            return .init(kind: "valid", bytes: Array(validRequest(anyMethod(), id: id).utf8), id: id)
        case 12..<34: return .init(kind: "wrong type", bytes: Array(wrongTypeRequest().utf8))
        case 34..<58: return .init(kind: "mutated", bytes: mutate(Array(validRequest(anyMethod()).utf8)))
        case 58..<64:
            let line = Array(validRequest(anyMethod()).utf8)
            return .init(kind: "truncated", bytes: Array(line.prefix(int(0...max(0, line.count - 1)))))
        case 64..<73: return .init(kind: "odd unicode", bytes: Array(oddUnicodeRequest().utf8))
        case 73..<78: return .init(kind: "huge number", bytes: Array(hugeNumberRequest().utf8))
        case 78..<81: return .init(kind: "deep nesting", bytes: deepRequest())
        case 81..<88: return .init(kind: "invalid UTF-8", bytes: invalidUTF8Request())
        case 88..<93: return .init(kind: "random bytes", bytes: randomBytes())
        default: return .init(kind: "envelope", bytes: Array(envelopeRequest().utf8))
        }
    }

    /// Up to 150 inputs; now and then the last one is longer than the line
    /// limit, which makes the daemon answer and close the connection.
    mutating func batch(maxInputs: Int) -> FuzzBatch {
        var batch = FuzzBatch()
        let count = min(maxInputs, chance(0.1) ? 1 : int(1...150))
        for _ in 0..<count { batch.inputs.append(nextInput()) }
        if chance(0.004) {
            let over = ProtocolInfo.maxLineBytes + int(1...4096)
            var big = Array(validRequest(Methods.schoolAdd.erased).utf8.prefix(40))
            big += [UInt8](repeating: pick([0x61, 0x20, 0x5B, 0xFF]), count: over - big.count)
            batch.inputs[batch.inputs.count - 1] = .init(kind: "oversized", bytes: big)
            batch.oversized = true
        }
        return batch
    }
}
