import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import KoppelingDaemon

// The verifier compares decoder outputs, so the tests compare lines by their
// bytes (ByteBuffer equality is over the readable bytes).
extension InboundLine: Equatable {
    public static func == (lhs: InboundLine, rhs: InboundLine) -> Bool {
        switch (lhs, rhs) {
        case (.line(let a), .line(let b)): a == b
        case (.tooLong, .tooLong): true
        default: false
        }
    }
}

/// `LineDecoder` against NIO's `ByteToMessageDecoderVerifier` (whole input,
/// one byte at a time, many messages in one buffer) and, for the cases the
/// verifier cannot take, against every two- and three-chunk split of the
/// input on a fresh decoder each time.
@Suite("LineDecoder: every byte split")
struct LineDecoderVerifierTests {
    static let maxLength = 32

    static func line(_ string: String) -> InboundLine { .line(ByteBuffer(string: string)) }
    static func line(_ bytes: [UInt8]) -> InboundLine { .line(ByteBuffer(bytes: bytes)) }

    /// Feeds `chunks` to a fresh decoder, then (if `eof`) half-closes the
    /// input, and returns everything it produced.
    static func decode(_ chunks: [[UInt8]], maxLength: Int = maxLength, eof: Bool = false) throws -> [InboundLine] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineDecoder(maxLength: maxLength)))
        var out: [InboundLine] = []
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
            while let next = try channel.readInbound(as: InboundLine.self) { out.append(next) }
        }
        if eof {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            while let next = try channel.readInbound(as: InboundLine.self) { out.append(next) }
        }
        _ = try channel.finish(acceptAlreadyClosed: true)
        return out
    }

    /// Every way to cut `input` into one, two or three chunks (empty chunks
    /// included), and one byte per chunk, must give `expected`.
    static func expectEverySplit(
        _ input: [UInt8],
        _ expected: [InboundLine],
        eof: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let n = input.count
        var splits: [[[UInt8]]] = [input.map { [$0] }]
        for i in 0...n {
            for j in i...n {
                splits.append([Array(input[0..<i]), Array(input[i..<j]), Array(input[j..<n])])
            }
        }
        for chunks in splits {
            let got = try decode(chunks, eof: eof)
            #expect(got == expected, "chunks \(chunks.map(\.count))", sourceLocation: sourceLocation)
            if got != expected { return }
        }
    }

    @Test func verifierAcceptsLinesOfEveryShape() throws {
        let atMax = String(repeating: "x", count: Self.maxLength)
        let atMaxWithCR = String(repeating: "y", count: Self.maxLength - 1)
        let pairs: [(String, [InboundLine])] = [
            ("hello\n", [Self.line("hello")]),
            ("crlf\r\n", [Self.line("crlf")]),
            ("\n", [Self.line("")]),
            ("\r\n", [Self.line("")]),
            ("two\nlines\r\n", [Self.line("two"), Self.line("lines")]),
            // Only one \r just before the \n is taken off; others are data.
            ("a\rb\n", [Self.line("a\rb")]),
            ("c\r\r\n", [Self.line("c\r")]),
            (atMax + "\n", [Self.line(atMax)]),
            (atMaxWithCR + "\r\n", [Self.line(atMaxWithCR)]),
            // Multi-byte UTF-8; the drip feed cuts inside every code point.
            ("héllo wörld €𝄞\n", [Self.line("héllo wörld €𝄞")]),
            ("{\"naam\":\"Zoë\"}\n", [Self.line("{\"naam\":\"Zoë\"}")]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: pairs) {
            LineDecoder(maxLength: Self.maxLength)
        }
    }

    @Test func utf8LineSurvivesEverySplit() throws {
        let text = "€𝄞é\r\nß\n"
        #expect(Array(text.utf8).count == 14)
        try Self.expectEverySplit(Array(text.utf8), [Self.line("€𝄞é"), Self.line("ß")])
    }

    @Test func lineAtExactlyTheMaximumIsALine() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: Self.maxLength)
        try Self.expectEverySplit(
            body + [UInt8(ascii: "\n")] + Array("ok\n".utf8),
            [Self.line(body), Self.line("ok")]
        )
    }

    @Test func oneByteOverTheMaximumIsTooLongOnceAndTheRestIsDropped() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: Self.maxLength + 1)
        // The line before it is delivered; the overlong one is reported once;
        // nothing after it is decoded, not even at end of input.
        let input = Array("ok\n".utf8) + body + Array("\nafter\npartial".utf8)
        try Self.expectEverySplit(input, [Self.line("ok"), .tooLong])
        try Self.expectEverySplit(input, [Self.line("ok"), .tooLong], eof: true)
    }

    @Test func tooLongIsReportedBeforeTheNewlineArrives() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: Self.maxLength + 1)
        #expect(try Self.decode([body]) == [.tooLong])
        #expect(try Self.decode([Array(body.prefix(Self.maxLength))]) == [])
        // A long trickle without any \n: still exactly one report.
        let trickle = [[UInt8]](repeating: [UInt8(ascii: "z")], count: 10 * Self.maxLength)
        #expect(try Self.decode(trickle) == [.tooLong])
    }

    @Test func lastLineWithoutNewlineCountsAtEndOfInput() throws {
        try Self.expectEverySplit(Array("één\ntwee".utf8), [Self.line("één"), Self.line("twee")], eof: true)
        // Without end of input it is still waiting.
        try Self.expectEverySplit(Array("één\ntwee".utf8), [Self.line("één")])
        // At end of input, nothing left over gives no extra (empty) line.
        try Self.expectEverySplit(Array("één\n".utf8), [Self.line("één")], eof: true)
    }
}
