import Foundation
import Testing

/// Limits under load: the connection cap, the slowloris
/// guard, the bound on requests in flight per connection, 1,000 connections
/// at once, and memory that stays flat over many requests.
///
/// `scripts/soak.sh` runs `soak()` with KOPPELING_SOAK_REQUESTS=1000000.
@Suite("Limits under load", .serialized, .secretCanary)
struct LimitsTests {
    // MARK: - The connection cap

    @Test("--max-connections 8: the 9th client gets a -32005 error line and EOF; after a close one is admitted")
    func connectionCap() throws {
        let daemon = try DaemonProcess(arguments: ["--max-connections", "8"])
        var held: [RawSocket] = []
        for n in 0..<8 {
            let socket = try RawSocket(path: daemon.socketPath)
            let reply = try socket.call(#"{"jsonrpc":"2.0","id":\#(n),"method":"hello"}"#)
            #expect(reply["result"] != nil, "connection \(n) under the cap: \(reply)")
            held.append(socket)
        }

        // The 9th: one error line without being asked, then end of file.
        let ninth = try RawSocket(path: daemon.socketPath, timeoutSeconds: 5)
        let refusal = try ninth.readReply()
        #expect(E2E.errorCode(refusal) == -32005, "\(refusal)")
        #expect(E2E.errorReason(refusal) == "too_many_connections", "\(refusal)")
        #expect(refusal["id"] is NSNull, "\(refusal)")
        let message = (refusal["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("verbindingen") && message.contains("8"), "a Dutch message naming the cap: \(message)")
        #expect(throws: RawSocket.ReadError.closed) { try ninth.readLine() }

        // The held ones still work.
        for (n, socket) in held.enumerated() {
            let reply = try socket.call(#"{"jsonrpc":"2.0","id":\#(100 + n),"method":"status"}"#)
            #expect(reply["result"] != nil, "held connection \(n): \(reply)")
        }

        // Closing one makes room for exactly one new client.
        held.removeFirst()
        let deadline = Date().addingTimeInterval(5)
        var admitted: RawSocket?
        while admitted == nil, Date() < deadline {
            let socket = try RawSocket(path: daemon.socketPath, timeoutSeconds: 5)
            let reply = try socket.call(#"{"jsonrpc":"2.0","id":200,"method":"hello"}"#)
            if reply["result"] != nil {
                admitted = socket
            } else {
                #expect(E2E.errorReason(reply) == "too_many_connections", "\(reply)")
                usleep(20_000)
            }
        }
        #expect(admitted != nil, "no connection admitted within 5 s after one closed")
        let again = try RawSocket(path: daemon.socketPath, timeoutSeconds: 5)
        #expect(E2E.errorReason(try again.readReply()) == "too_many_connections")
        // koppelingctl over the cap shows the daemon's reason (exit 1), not
        // "daemon not reachable" (exit 3). (When its request finds the
        // connection already closed: ClientRefusalTests.)
        for _ in 0..<5 {
            let r = try Ctl(socketPath: daemon.socketPath).run(["status"])
            #expect(r.status == 1, "koppelingctl status over the cap:\n\(r.transcript)")
            #expect(r.stderr.contains("verbindingen"), "the daemon's Dutch reason:\n\(r.transcript)")
        }
        #expect(daemon.process.isRunning)
        #expect(daemon.output.contains("connection cap is reached"), "the refusals are logged:\n\(daemon.output)")
    }

    // MARK: - Slowloris

    @Test(
        "--line-timeout 1: a client trickling a byte every 200 ms without a newline is closed within 2 s; others are served"
    )
    func slowloris() throws {
        let daemon = try DaemonProcess(arguments: ["--line-timeout", "1"])
        let path = daemon.socketPath
        let failures = Failures()
        let done = DispatchGroup()

        // A normal client: a request every 200 ms for 3 s.
        Self.runThread(done) {
            do {
                let socket = try RawSocket(path: path, timeoutSeconds: 5)
                for n in 0..<15 {
                    let reply = try socket.call(#"{"jsonrpc":"2.0","id":\#(n),"method":"hello"}"#)
                    if reply["result"] == nil { failures.add("normal client, request \(n): \(reply)") }
                    usleep(200_000)
                }
            } catch { failures.add("normal client: \(error)") }
        }
        // A slow but honest client: each line in two halves 600 ms apart,
        // so it holds a partial line 2.4 s in all but never 1 s at a time.
        Self.runThread(done) {
            do {
                let socket = try RawSocket(path: path, timeoutSeconds: 5)
                for n in 0..<4 {
                    let line = #"{"jsonrpc":"2.0","id":\#(n),"method":"status"}"#
                    let half = line.utf8.count / 2
                    socket.send(Array(line.utf8.prefix(half)))
                    usleep(600_000)
                    guard socket.send(Array(line.utf8.dropFirst(half)) + [UInt8(ascii: "\n")]) else {
                        failures.add("split-line client: closed before line \(n) was complete")
                        return
                    }
                    let reply = try socket.readReply()
                    if reply["result"] == nil { failures.add("split-line client, line \(n): \(reply)") }
                }
            } catch { failures.add("split-line client: \(error)") }
        }
        // An idle client with no partial line is not the line timeout's business.
        Self.runThread(done) {
            do {
                let socket = try RawSocket(path: path, timeoutSeconds: 5)
                usleep(2_500_000)
                let reply = try socket.call(#"{"jsonrpc":"2.0","id":1,"method":"hello"}"#)
                if reply["result"] == nil { failures.add("idle client: \(reply)") }
            } catch { failures.add("idle client after 2.5 s: \(error)") }
        }

        // The slowloris.
        let trickler = try RawSocket(path: path, timeoutSeconds: 5)
        let payload = Array(#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"#.utf8)
        let started = Date()
        var closedAfter: TimeInterval?
        var sent = 0
        while Date().timeIntervalSince(started) < 10 {
            guard trickler.send([payload[sent % payload.count]]) else {
                closedAfter = Date().timeIntervalSince(started)
                break
            }
            sent += 1
            usleep(200_000)
        }
        done.wait()

        let elapsed = try #require(closedAfter, "a client trickling \(sent) bytes over 10 s was never disconnected")
        print("slowloris: closed after \(String(format: "%.2f", elapsed)) s and \(sent) bytes (line timeout 1 s)")
        #expect(elapsed >= 0.9, "closed after \(elapsed) s, before the line timeout")
        #expect(elapsed <= 2.0, "closed only after \(elapsed) s")
        #expect(throws: RawSocket.ReadError.closed) { try trickler.readLine() }
        #expect(failures.all.isEmpty, "\(failures.all)")
        let reply = try daemon.rawCall(#"{"jsonrpc":"2.0","id":9,"method":"hello"}"#)
        #expect(reply["result"] != nil)
    }

    // MARK: - In-flight bound

    @Test("10,000 pipelined requests from a client that does not read: bounded memory, then every reply in order")
    func inFlightBound() throws {
        let daemon = try DaemonProcess(arguments: ["--max-in-flight", "64"])
        let pid = daemon.process.processIdentifier
        let total = 10_000
        // catalog.get with its terms text: a reply of a few KiB, so replies
        // piling up in the daemon would show in its memory.
        let requests = (1...total).map {
            #"{"jsonrpc":"2.0","id":\#($0),"method":"catalog.get","params":{"id":"topdossier-eckid"}}"# + "\n"
        }
        let replySize = try daemon.connect().exchange(Data(requests[0].dropLast().utf8)).count
        let socket = try RawSocket(path: daemon.socketPath, timeoutSeconds: 30)
        let shared = Shared(socket)
        let baseline = try #require(ProcStatus.kib("VmRSS", pid: pid))

        let progress = SendProgress()
        let done = DispatchGroup()
        Self.runThread(done) {
            var batch = ""
            for (n, line) in requests.enumerated() {
                batch += line
                if (n + 1) % 50 == 0 {
                    guard shared.value.send(batch) else {
                        progress.fail("the daemon stopped taking requests after \(n + 1 - 50)")
                        return
                    }
                    batch = ""
                    progress.sent = n + 1
                }
            }
        }

        // Nobody reads for 3 s: the daemon must not buffer 10,000 replies.
        var peak = baseline
        for _ in 0..<30 {
            usleep(100_000)
            peak = max(peak, ProcStatus.kib("VmRSS", pid: pid) ?? 0)
        }
        let sentWhileNotReading = progress.sent

        var outOfOrder: [String] = []
        for n in 1...total {
            let reply = try socket.readReply()
            if reply["id"] as? Int != n || reply["result"] == nil {
                outOfOrder.append("reply \(n): \(String(describing: reply).prefix(200))")
                if outOfOrder.count > 5 { break }
            }
        }
        done.wait()
        let growth = peak - baseline
        print(
            "in-flight bound: reply \(replySize) B; \(total) replies would be \(total * replySize / 1024) KiB; "
                + "RSS \(baseline) KiB before, peak \(peak) KiB while not reading (+\(growth) KiB); "
                + "client got \(sentWhileNotReading)/\(total) requests out before it read"
        )
        #expect(outOfOrder.isEmpty, "\(outOfOrder)")
        #expect(progress.failure == nil, "\(progress.failure ?? "")")
        #expect(progress.sent == total)
        // Without the bound (replies piling up in the daemon until the
        // client reads) this run grew by 20–33 MiB; with it, by 1–3 MiB.
        #expect(growth < 8 * 1024, "RSS grew \(growth) KiB while the client did not read")
    }

    // MARK: - 1,000 connections

    @Test("1,000 concurrent connections held open, each answered")
    func thousandConnections() throws {
        let count = 1000
        ProcStatus.raiseOwnFileLimit(atLeast: count * 2 + 100)
        let daemon = try DaemonProcess()
        let pid = daemon.process.processIdentifier
        let started = Date()
        var sockets: [RawSocket] = []
        sockets.reserveCapacity(count)
        for _ in 0..<count { sockets.append(try RawSocket(path: daemon.socketPath, timeoutSeconds: 20)) }
        let opened = Date()

        func round(_ r: Int) throws -> [String] {
            var failures: [String] = []
            for (n, socket) in sockets.enumerated() {
                let method = n % 2 == 0 ? "hello" : "school.list"
                guard socket.send(#"{"jsonrpc":"2.0","id":\#(r * 10_000 + n),"method":"\#(method)"}"# + "\n") else {
                    failures.append("connection \(n): closed before round \(r)")
                    continue
                }
            }
            for (n, socket) in sockets.enumerated() {
                do {
                    let reply = try socket.readReply()
                    if reply["id"] as? Int != r * 10_000 + n || reply["result"] == nil {
                        failures.append("connection \(n), round \(r): \(String(describing: reply).prefix(200))")
                    }
                } catch { failures.append("connection \(n), round \(r): \(error)") }
            }
            return failures
        }
        let first = try round(1)
        let answered = Date()
        let daemonFiles = ProcStatus.openFiles(pid: pid)
        let rss = ProcStatus.kib("VmRSS", pid: pid) ?? -1
        // All still held: a second round on the same connections.
        let second = try round(2)
        let finished = Date()
        print(
            "1,000 connections: opened in \(Self.seconds(opened.timeIntervalSince(started))) s, "
                + "first round answered in \(Self.seconds(answered.timeIntervalSince(opened))) s, "
                + "second in \(Self.seconds(finished.timeIntervalSince(answered))) s; daemon holds \(daemonFiles) fds, "
                + "RSS \(rss) KiB; \(ProcStatus.fileLimit(pid: pid))"
        )
        #expect(first.isEmpty, "\(first.prefix(5)) (\(first.count) failures)")
        #expect(second.isEmpty, "\(second.prefix(5)) (\(second.count) failures)")
        #expect(daemonFiles >= count, "the daemon holds \(daemonFiles) descriptors")
        sockets.removeAll()
        let reply = try daemon.rawCall(#"{"jsonrpc":"2.0","id":1,"method":"status"}"#)
        #expect(reply["result"] != nil)
        #expect(daemon.stop() == 0)
    }

    // MARK: - Memory stays flat

    @Test(
        "RSS after 20,000 warm-up requests and after 200,000 more differ by less than 4 MiB",
        .timeLimit(.minutes(20))
    )
    func memoryStaysFlat() throws {
        let figures = try Self.runFlatMemory(warmUp: 20_000, measured: 200_000)
        #expect(figures.failures.isEmpty, "\(figures.failures.prefix(10))")
        #expect(abs(figures.after - figures.before) < 4 * 1024, "VmRSS \(figures.before) KiB → \(figures.after) KiB")
    }

    @Test(
        "soak: KOPPELING_SOAK_REQUESTS requests (scripts/soak.sh)",
        .enabled(if: ProcessInfo.processInfo.environment["KOPPELING_SOAK_REQUESTS"] != nil)
    )
    func soak() throws {
        let requests = Int(ProcessInfo.processInfo.environment["KOPPELING_SOAK_REQUESTS"] ?? "") ?? 1_000_000
        let figures = try Self.runFlatMemory(warmUp: 20_000, measured: requests)
        #expect(figures.failures.isEmpty, "\(figures.failures.prefix(10))")
        #expect(abs(figures.after - figures.before) < 4 * 1024, "VmRSS \(figures.before) KiB → \(figures.after) KiB")
    }

    struct MemoryFigures {
        let before: Int
        let after: Int
        let failures: [String]
    }

    /// A warm-up, then `measured` requests in ten slices, with the daemon's
    /// RSS after each. SQLite's page cache (2 MiB by default) fills over the
    /// first ~100,000 requests of this mix as the audit grows; after that
    /// the line should be flat.
    static func runFlatMemory(warmUp: Int, measured: Int) throws -> MemoryFigures {
        let daemon = try DaemonProcess()
        let pid = daemon.process.processIdentifier
        for line in [
            #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"21QW00","name":"OBS De Regenboog"}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier","name":"Jan Jansen","agree":true,"terms_version":"2024.1","verification_code":"\#(E2E.code(for: "21QW00"))"}}"#,
        ] {
            let reply = try daemon.rawCall(line)
            #expect(reply["result"] != nil, "\(reply)")
        }
        let threads = 8
        let start0 = Date()
        var failures: [String] = []
        let warm = Load.drive(path: daemon.socketPath, threads: threads, total: warmUp, phase: 0)
        failures += warm.failures
        let before = try #require(ProcStatus.kib("VmRSS", pid: pid))
        let anonBefore = ProcStatus.kib("RssAnon", pid: pid) ?? -1
        let start1 = Date()
        var replies = 0
        var trend: [String] = []
        for slice in 1...10 {
            let count = measured / 10 + (slice <= measured % 10 ? 1 : 0)
            let outcome = Load.drive(path: daemon.socketPath, threads: threads, total: count, phase: slice)
            replies += outcome.replies
            failures += outcome.failures.prefix(max(0, 10 - failures.count))
            trend.append("\(replies / 1000)k: \(ProcStatus.kib("VmRSS", pid: pid) ?? -1)")
            if !outcome.failures.isEmpty { break }
        }
        let elapsed = Date().timeIntervalSince(start1)
        let after = try #require(ProcStatus.kib("VmRSS", pid: pid))
        let anonAfter = ProcStatus.kib("RssAnon", pid: pid) ?? -1
        let peak = ProcStatus.kib("VmHWM", pid: pid) ?? -1
        print(
            "memory: warm-up \(warm.replies) requests in \(seconds(start1.timeIntervalSince(start0))) s; "
                + "then \(replies) requests on \(threads) connections (reconnecting every \(Load.perConnection)) "
                + "in \(seconds(elapsed)) s (\(Int(Double(replies) / elapsed)) req/s); "
                + "VmRSS \(before) KiB → \(after) KiB (\(after - before >= 0 ? "+" : "")\(after - before) KiB), "
                + "RssAnon \(anonBefore) → \(anonAfter) KiB, VmHWM \(peak) KiB"
        )
        print("memory: VmRSS (KiB) after each tenth: " + trend.joined(separator: ", "))
        #expect(warm.replies == warmUp && replies == measured)
        #expect(daemon.stop() == 0)
        return MemoryFigures(before: before, after: after, failures: failures)
    }

    static func seconds(_ t: TimeInterval) -> String { String(format: "%.1f", t) }
}

// MARK: - Load

extension LimitsTests {
    /// Drives a daemon with a mix of reads, refusals, malformed lines and
    /// writes on a few pipelining connections, checking every reply's id.
    enum Load {
        static let batch = 100  // a multiple of 20
        /// Each connection is replaced after this many requests (churn).
        static let perConnection = 2_000

        /// Request `n` of connection thread `t` and the id its reply must
        /// carry (nil: null). A thread sends its requests in order, so each
        /// school it adds it removes again right after, on the same
        /// connection (a batch and a connection both hold whole cycles of 20).
        static func request(_ n: Int, thread t: Int, phase: Int) -> (line: String, id: Int?) {
            let id = 1_000_000_000 + phase * 10_000_000 + n * 64 + t
            // A school for each add/remove pair, outside the BRIN6s used elsewhere.
            let k = (phase * 100_000 + (n / 20) * 64 + t) % 780_000
            let school =
                two(k % 100) + ["X", "Y", "Z"][(k / 100) % 3] + letters[(k / 300) % 26] + two((k / 7800) % 100)
            func call(_ method: String, _ params: String = "") -> (String, Int?) {
                (
                    #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)"\#(params.isEmpty ? "" : #","params":"# + params)}"#,
                    id
                )
            }
            switch n % 20 {
            case 0: return call("hello")
            case 1: return call("status")
            case 2: return call("school.list")
            case 3: return call("school.get", #"{"brin6":"21QW00"}"#)
            case 4: return call("koppeling.overview", #"{"brin6":"21QW00"}"#)
            case 5: return call("catalog.list")
            case 6: return call("catalog.get", #"{"id":"topdossier-eckid"}"#)
            case 7: return call("eckid.status")
            case 8: return call("timer.status")
            case 9: return call("audit.list", #"{"limit":5}"#)
            case 10: return ("dit is geen json \(n)", nil)
            case 11: return call("school.destroy")
            case 12: return call("school.add", #"{"brin6":5,"name":"OBS"}"#)
            case 13: return call("school.get", #"{"brin6":"99ZZ99"}"#)
            case 14: return call("school.add", #"{"brin6":"\#(school)","name":"Soak \#(n)"}"#)
            case 15: return call("school.remove", #"{"brin6":"\#(school)"}"#)
            case 16:
                return call(
                    "koppeling.activate",
                    #"{"brin6":"21QW00","koppeling":"topdossier-eckid","name":"Jan","agree":false,"terms_version":"2024.2","verification_code":"21QW00kort"}"#
                )
            case 17: return call("school.import", #"{"schools":[{"brin6":"fout","name":""}]}"#)
            case 18: return call("catalog.get", #"{"id":"bestaat-niet"}"#)
            default: return call("school.get", #"{"brin6":"21QW00"}"#)
            }
        }

        static let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".map(String.init)
        static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

        /// Whether `line` is the reply to a request with this id: it holds
        /// `"id":N` followed by `,` or `}` (ids are above 10^9, so no other
        /// number in a reply matches). Every 50th reply is parsed in full.
        static func isReply(_ line: ArraySlice<UInt8>, id: Int?, parse: Bool) -> Bool {
            let marker = Array(#""id":\#(id.map(String.init) ?? "null")"#.utf8)
            let found = line.withUnsafeBytes { l -> Bool in
                guard l.count > marker.count + 1, l[0] == UInt8(ascii: "{"), l[l.count - 1] == UInt8(ascii: "}") else {
                    return false
                }
                return marker.withUnsafeBytes { m in
                    var offset = 0
                    while offset + m.count < l.count,
                        let q = memchr(l.baseAddress! + offset, Int32(UInt8(ascii: "\"")), l.count - m.count - offset)
                    {
                        let at = l.baseAddress!.distance(to: UnsafeRawPointer(q))
                        if memcmp(q, m.baseAddress!, m.count) == 0,
                            [UInt8(ascii: ","), UInt8(ascii: "}")].contains(l[at + m.count])
                        {
                            return true
                        }
                        offset = at + 1
                    }
                    return false
                }
            }
            guard found else { return false }
            guard parse else { return true }
            guard let reply = E2E.object(Data(line)) else { return false }
            return (reply["result"] != nil) != (reply["error"] != nil)
                && (id.map { reply["id"] as? Int == $0 } ?? (reply["id"] is NSNull))
        }

        struct Outcome {
            var replies = 0
            var failures: [String] = []
        }

        /// `total` requests spread over `threads` connections at once.
        static func drive(path: String, threads: Int, total: Int, phase: Int) -> Outcome {
            let results = Results()
            let done = DispatchGroup()
            for t in 0..<threads {
                let share = total / threads + (t < total % threads ? 1 : 0)
                LimitsTests.runThread(done) {
                    var outcome = Outcome()
                    var n = 0
                    var connection: LineConnection?
                    var onThisConnection = 0
                    while n < share {
                        do {
                            if connection == nil || onThisConnection >= perConnection {
                                connection = nil
                                connection = try LineConnection(path: path)
                                onThisConnection = 0
                            }
                            let count = min(batch, share - n)
                            let requests = (0..<count).map { request(n + $0, thread: t, phase: phase) }
                            var bytes: [UInt8] = []
                            bytes.reserveCapacity(count * 120)
                            for r in requests {
                                bytes += r.line.utf8
                                bytes.append(UInt8(ascii: "\n"))
                            }
                            try connection!.send(bytes)
                            for (i, r) in requests.enumerated() {
                                let line = try connection!.readLine()
                                if !isReply(line, id: r.id, parse: (n + i) % 50 == 0), outcome.failures.count < 10 {
                                    outcome.failures.append(
                                        "\(r.line.prefix(80)) → \(String(decoding: line.prefix(200), as: UTF8.self))"
                                    )
                                }
                                outcome.replies += 1
                            }
                            n += count
                            onThisConnection += count
                        } catch {
                            outcome.failures.append("thread \(t) after \(n) requests: \(error)")
                            break
                        }
                    }
                    results.add(outcome)
                }
            }
            done.wait()
            return results.total
        }

        /// A lean blocking client for many requests: one buffer, no copies
        /// per line (the test binary is a debug build).
        final class LineConnection {
            struct Failure: Error, CustomStringConvertible { let description: String }
            private let fd: Int32
            private var buffer = [UInt8](repeating: 0, count: 1 << 20)
            private var start = 0
            private var end = 0

            init(path: String) throws {
                fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &address.sun_path) { raw in
                    for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
                }
                let rc = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
                guard rc == 0 else {
                    let e = errno
                    close(fd)
                    throw Failure(description: "connect: errno \(e)")
                }
                var tv = timeval(tv_sec: 60, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            }

            deinit { close(fd) }

            func send(_ bytes: [UInt8]) throws {
                var offset = 0
                while offset < bytes.count {
                    let n = bytes[offset...].withUnsafeBytes {
                        Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw Failure(description: "send: errno \(errno)")
                    }
                    offset += n
                }
            }

            func readLine() throws -> ArraySlice<UInt8> {
                while true {
                    let newline = buffer.withUnsafeBytes { raw -> Int? in
                        guard end > start,
                            let p = memchr(raw.baseAddress! + start, Int32(UInt8(ascii: "\n")), end - start)
                        else { return nil }
                        return raw.baseAddress!.distance(to: UnsafeRawPointer(p))
                    }
                    if let newline {
                        let line = buffer[start..<newline]
                        start = newline + 1
                        return line
                    }
                    if start > 0 {
                        buffer.withUnsafeMutableBytes { raw in
                            _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
                        }
                        end -= start
                        start = 0
                    }
                    guard end < buffer.count else { throw Failure(description: "a reply line longer than 1 MiB") }
                    let n = buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress! + end, raw.count - end, 0)
                    }
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else {
                        throw Failure(description: n == 0 ? "closed by the daemon" : "recv: errno \(errno)")
                    }
                    end += n
                }
            }
        }

        final class Results: @unchecked Sendable {
            private let lock = NSLock()
            private var outcome = Outcome()
            func add(_ o: Outcome) {
                lock.lock()
                outcome.replies += o.replies
                outcome.failures += o.failures.prefix(max(0, 10 - outcome.failures.count))
                lock.unlock()
            }
            var total: Outcome {
                lock.lock()
                defer { lock.unlock() }
                return outcome
            }
        }
    }

    // MARK: - Helpers

    /// Figures of a process from /proc.
    enum ProcStatus {
        /// A `kB` field of /proc/PID/status (VmRSS, RssAnon, VmHWM), in KiB.
        static func kib(_ field: String, pid: Int32) -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                return parts.count >= 2 ? Int(parts[1]) : nil
            }
            return nil
        }

        /// Open file descriptors of the process.
        static func openFiles(pid: Int32) -> Int {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        }

        /// The "Max open files" line of /proc/PID/limits.
        static func fileLimit(pid: Int32) -> String {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("Max open files") } ?? "Max open files ?"
            return line.split(whereSeparator: { $0 == " " }).joined(separator: " ")
        }

        /// Raises this process's soft open-file limit (up to the hard limit).
        static func raiseOwnFileLimit(atLeast wanted: Int) {
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
            var limit = rlimit()
            guard getrlimit(resource, &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
            limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
            setrlimit(resource, &limit)
        }
    }

    /// Failures collected from client threads.
    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []

        func add(_ message: String) {
            lock.lock()
            items.append(message)
            lock.unlock()
        }

        var all: [String] {
            lock.lock()
            defer { lock.unlock() }
            return items
        }
    }

    /// How far a sending thread got.
    final class SendProgress: @unchecked Sendable {
        private let lock = NSLock()
        private var _sent = 0
        private var _failure: String?

        var sent: Int {
            get {
                lock.lock()
                defer { lock.unlock() }
                return _sent
            }
            set {
                lock.lock()
                _sent = newValue
                lock.unlock()
            }
        }

        var failure: String? {
            lock.lock()
            defer { lock.unlock() }
            return _failure
        }

        func fail(_ message: String) {
            lock.lock()
            _failure = message
            lock.unlock()
        }
    }

    /// A value handed to one other thread, which alone uses that side of it.
    final class Shared<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    /// Runs `body` on a thread of its own (a client that blocks in recv must
    /// not hold one of the few cooperative threads).
    static func runThread(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        Thread {
            body()
            group.leave()
        }.start()
    }
}
