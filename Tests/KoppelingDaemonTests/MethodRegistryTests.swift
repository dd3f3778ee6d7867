import Foundation
import KoppelingProtocol
import Testing

@testable import KoppelingDaemon

/// What every method needs besides its descriptor, checked for each
/// descriptor in `Methods.all`: a method added there without its handler,
/// its label, its documentation or its permission fails here, and no test
/// keeps a list of methods of its own.
@Suite("Every method, from its descriptor")
struct MethodRegistryTests {
    static let protocolDocument = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // KoppelingDaemonTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("docs/protocol.md")

    static func document() throws -> String { try String(contentsOf: protocolDocument, encoding: .utf8) }

    /// The cells of the table row that starts with `prefix`, trimmed.
    static func row(startingWith prefix: String, in text: String) -> [String]? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The names in backticks of a table cell, without the `?` of an
    /// optional param.
    static func names(_ cell: String) -> Set<String> {
        Set(
            cell.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }
                .map { String($0.element.hasSuffix("?") ? $0.element.dropLast() : $0.element) }
        )
    }

    @Test("wire names and Dutch labels are unique")
    func unique() {
        #expect(Set(Methods.all.map(\.name)).count == Methods.all.count)
        #expect(Set(Methods.all.map(\.label)).count == Methods.all.count)
    }

    @Test("every descriptor has one route, and every route a descriptor")
    func routes() {
        #expect(Routes.all.count == Methods.all.count)
        #expect(Set(Routes.all.map(\.method.name)) == Set(Methods.all.map(\.name)))
        for method in Methods.all {
            let route = Routes.byName[method.name]
            #expect(route?.method.execution == method.execution, "\(method.name): no route of its execution")
            #expect(route?.allowedKeys == method.paramKeys, "\(method.name)")
        }
    }

    @Test("every method has a Dutch label, not its wire name", arguments: Methods.all)
    func label(method: AnyMethod) {
        #expect(!method.label.isEmpty && method.label != method.name)
        #expect(!method.label.contains(".") && !method.label.contains("_"), "\(method.label)")
    }

    @Test(
        "docs/protocol.md: an example and a row in the table of §5 with its params and permission",
        arguments: Methods.all
    )
    func documented(method: AnyMethod) throws {
        let text = try Self.document()
        let requests = text.components(separatedBy: "```json request\n").dropFirst()
            .map { $0.components(separatedBy: "```").first ?? "" }
        #expect(
            requests.contains { $0.contains(#""method":"\#(method.name)""#) },
            "no example request calls \(method.name)"
        )
        let row = try #require(
            Self.row(startingWith: "| [`\(method.name)`](#", in: text),
            "no row of \(method.name) in the table of methods"
        )
        try #require(row.count == 3, "\(row)")
        #expect(Self.names(row[1]) == method.paramKeys, "\(method.name): params \(row[1])")
        #expect((row[2] == "yes") == method.changesState, "\(method.name): admin only '\(row[2])'")
    }

    @Test("docs/protocol.md §3: the changing and the reading methods")
    func permissionTable() throws {
        let text = try Self.document()
        let row = try #require(Self.row(startingWith: "| `school.add`", in: text), "no table of who may do what")
        try #require(row.count == 2, "\(row)")
        #expect(Self.names(row[0]) == Set(Methods.all.filter(\.changesState).map(\.name)))
        #expect(Self.names(row[1]) == Set(Methods.all.filter { !$0.changesState }.map(\.name)))
    }

    @Test("a reader is refused every changing method with -32004, audited; reads are not refused to it")
    func permission() throws {
        let t = try TestRegister(start: utc("2026-11-29T09:00:00Z"))
        for method in Methods.all {
            let reply = t.call(
                #"{"jsonrpc":"2.0","id":1,"method":"\#(method.name)","params":{}}"#,
                as: TestRegister.reader
            )
            let code = (reply["error"] as? [String: Any])?["code"] as? Int
            if method.changesState {
                #expect(code == -32004, "\(method.name) → \(reply)")
            } else {
                #expect(code != -32004, "\(method.name) → \(reply)")
            }
        }
        let refused = try t.app.register.audit(school: nil, since: nil, limit: 1000)
            .filter { $0.uid == 65534 && $0.outcome == .refused && $0.reasons == ["permission_denied"] }
        #expect(Set(refused.map(\.method)) == Set(Methods.all.filter(\.changesState).map(\.name)))
    }
}
