import KoppelingCore
import KoppelingProtocol
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A request line as JSON-RPC 2.0 reads it (§4.1, §6): one request or a
/// batch of them, without the notifications nothing is run for.
enum IncomingLine: Sendable {
    /// One request; nil for a notification that nothing runs for (an
    /// unknown method, bad params of a read): it is never answered.
    case single(Parsed?)
    /// A batch's members in order, each as it would be read alone, less
    /// the notifications nothing runs for. Answered with one line holding
    /// the replies of those that have one, or with no line at all.
    case batch([Parsed])

}

extension Dispatcher {
    /// The most members a batch may have (docs/protocol.md §2). Each runs as
    /// a request of its own, so the bound keeps what one line can start
    /// near the connection's in-flight cap (64) rather than the thousands
    /// of members a 1 MiB line can hold.
    static let maxBatchMembers = 256

    /// Reads a request line: a single request object, or a batch (an
    /// array) whose members are each parsed as if sent alone. A line that
    /// is not JSON is one parse error, batch or not.
    static func read(_ line: ByteBuffer) -> IncomingLine {
        guard isWellFormedText(line) else { return .single(.reply(parseErrorReply)) }
        let verdict = line.withUnsafeReadableBytes(JSONSyntax.verdict)
        if verdict == .invalid { return .single(.reply(parseErrorReply)) }
        guard let members = line.withUnsafeReadableBytes({ batchMembers($0, limit: maxBatchMembers) }) else {
            return .single(answered(object(line, verdict: verdict)))
        }
        switch members {
        case .empty:
            return .single(invalidRequest(id: .null, "Een batch (een JSON-lijst) moet minstens één verzoek bevatten."))
        case .tooMany:
            return .single(
                invalidRequest(
                    id: .null,
                    "Een batch mag hoogstens \(maxBatchMembers) verzoeken bevatten; deze is niet uitgevoerd. Verdeel hem over meer batches."
                )
            )
        case .ranges(let ranges):
            return .batch(
                ranges.compactMap { range in
                    let member = line.getSlice(at: line.readerIndex + range.lowerBound, length: range.count)!
                    // Inside a valid line without a repeated name, every
                    // member is so too; otherwise each is checked alone, so
                    // only the member that names something twice is refused.
                    let memberVerdict = verdict == .valid ? .valid : member.withUnsafeReadableBytes(JSONSyntax.verdict)
                    return answered(object(member, verdict: memberVerdict))
                }
            )
        }
    }

    /// The parsed request, or nil when it is a notification whose outcome
    /// is a ready reply: nothing runs for it, and it gets no answer. A
    /// notification that runs (a change, refused or not, is audited) stays.
    private static func answered(_ object: (parsed: Parsed, isNotification: Bool)) -> Parsed? {
        if object.isNotification, case .reply = object.parsed { return nil }
        return object.parsed
    }

    /// The members of a batch as `read` finds them.
    enum BatchMembers {
        case empty
        case tooMany
        /// Byte offsets of each member in the line, white space included.
        case ranges([Range<Int>])
    }

    /// The members of the line if it is an array (nil if it is any other
    /// value). The bytes are valid JSON already: only strings, nesting and
    /// the commas at the top level matter.
    static func batchMembers(_ bytes: UnsafeRawBufferPointer, limit: Int) -> BatchMembers? {
        var i = 0
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        var ranges: [Range<Int>] = []
        var start = i
        var depth = 0
        var inString = false
        var escaped = false
        var empty = true
        while i < bytes.count {
            let b = bytes[i]
            defer { i += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                inString = true
                empty = false
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                empty = false
            case UInt8(ascii: "]") where depth == 0:
                if empty { return .empty }
                ranges.append(start..<i)
                return ranges.count > limit ? .tooMany : .ranges(ranges)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            case UInt8(ascii: ",") where depth == 0:
                ranges.append(start..<i)
                if ranges.count > limit { return .tooMany }
                start = i + 1
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                empty = false
            }
        }
        return nil  // not reached for valid JSON
    }

    /// The one line answering a batch: the replies of its members that
    /// have one, as a JSON array in the members' order; nil when none has.
    static func batchReply(_ replies: [ByteBuffer?]) -> ByteBuffer? {
        let present = replies.compactMap { $0 }
        guard !present.isEmpty else { return nil }
        // Room for the brackets, the commas and the transport's newline.
        var line = ByteBufferAllocator().buffer(capacity: present.reduce(3) { $0 + $1.readableBytes + 1 })
        line.writeInteger(UInt8(ascii: "["))
        for (index, reply) in present.enumerated() {
            if index > 0 { line.writeInteger(UInt8(ascii: ",")) }
            line.writeImmutableBuffer(reply)
        }
        line.writeInteger(UInt8(ascii: "]"))
        return line
    }

    /// What `read` gives for `line` when it cannot be run (the daemon
    /// stops): `error` for each request that would have been answered, a
    /// member's own defect for one that is invalid, nothing for a
    /// notification.
    static func refusal(of line: ByteBuffer, _ error: RPCError) -> ByteBuffer? {
        func refused(_ parsed: Parsed) -> ByteBuffer? {
            switch parsed {
            case .reply(let data): data
            case .request(let request): request.id.map { ReplyEncoding.failure(id: $0, error: error) }
            }
        }
        switch read(line) {
        case .single(let parsed): return parsed.flatMap(refused)
        case .batch(let members): return batchReply(members.map(refused))
        }
    }
}
