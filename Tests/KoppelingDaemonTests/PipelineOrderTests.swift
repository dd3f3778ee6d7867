import Foundation
import KoppelingClient
import Testing

@testable import KoppelingDaemon

/// Transactions tell the truth on a pipelining client:
/// a read sees every change acknowledged earlier on its connection and
/// nothing from a request sent after it on that connection, however many
/// other connections write at the same time.
@Suite("Pipelined order")
struct PipelineOrderTests {
    static let connections = 6
    static let tries = 60

    @Test("add A, list, get A, add B sent together: the list and the get show A, the list never B")
    func readBetweenTwoPipelinedWritesSeesOnlyTheFirst() async throws {
        let server = try await InProcessServer.start(directory: CallerLookupTests.directory)
        let outcomes: [PipelineTry]
        do {
            outcomes = try await withThrowingTaskGroup(of: [PipelineTry].self) { group in
                for c in 0..<Self.connections {
                    group.addTask { try await blocking { try Self.pipeline(server, connection: c) } }
                }
                var all: [PipelineTry] = []
                for try await part in group { all += part }
                return all
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()

        let total = Self.connections * Self.tries
        #expect(outcomes.count == total)
        let outOfOrder = outcomes.filter { $0.ids != [1, 2, 3, 4] }
        #expect(outOfOrder.count == 0, "replies out of request order: \(outOfOrder.prefix(3).map(\.summary))")
        let failedWrites = outcomes.filter { !$0.addedA || !$0.addedB }
        #expect(failedWrites.count == 0, "a school.add was refused: \(failedWrites.prefix(3).map(\.summary))")
        let missingA = outcomes.filter { !$0.listHasA }
        #expect(
            missingA.count == 0,
            "\(missingA.count) of \(total) lists lacked the school acknowledged before them: \(missingA.prefix(3).map(\.summary))"
        )
        let sawB = outcomes.filter(\.listHasB)
        #expect(
            sawB.count == 0,
            "\(sawB.count) of \(total) lists showed the school added by a request sent after them: \(sawB.prefix(3).map(\.summary))"
        )
        let getMissedA = outcomes.filter { !$0.getShowsA }
        #expect(
            getMissedA.count == 0,
            "\(getMissedA.count) of \(total) school.get calls did not show the school just added: \(getMissedA.prefix(3).map(\.summary))"
        )
    }

    /// One connection's tries, each four lines written before any reply is read.
    static func pipeline(_ server: InProcessServer, connection c: Int) throws -> [PipelineTry] {
        let connection = try KoppelingConnection(path: server.socketPath)
        let letter = ["A", "B", "C", "D", "E", "F", "G", "H"][c]
        var outcomes: [PipelineTry] = []
        for t in 0..<tries {
            let two = t < 10 ? "0\(t)" : "\(t)"
            let a = "\(two)A\(letter)00"
            let b = "\(two)B\(letter)01"
            let lines = [
                #"{"jsonrpc":"2.0","id":1,"method":"school.add","params":{"brin6":"\#(a)","name":"School \#(a)"}}"#,
                #"{"jsonrpc":"2.0","id":2,"method":"school.list","params":{}}"#,
                #"{"jsonrpc":"2.0","id":3,"method":"school.get","params":{"brin6":"\#(a)"}}"#,
                #"{"jsonrpc":"2.0","id":4,"method":"school.add","params":{"brin6":"\#(b)","name":"School \#(b)"}}"#,
            ]
            for line in lines { try connection.send(Data(line.utf8)) }
            let replies = try (0..<lines.count).map { _ in try json(connection.receiveLine()) }
            let listed = Set(
                (replies[1].result?["schools"] as? [[String: Any]] ?? []).compactMap { $0["brin6"] as? String }
            )
            let got = (replies[2].result?["school"] as? [String: Any])?["brin6"] as? String
            outcomes.append(
                PipelineTry(
                    a: a,
                    b: b,
                    ids: replies.map { $0.id ?? -1 },
                    addedA: replies[0].result != nil,
                    addedB: replies[3].result != nil,
                    listHasA: listed.contains(a),
                    listHasB: listed.contains(b),
                    getShowsA: got == a,
                    raw: replies.map { String($0.raw.prefix(300)) }
                )
            )
        }
        return outcomes
    }
}

struct PipelineTry: Sendable {
    let a: String
    let b: String
    let ids: [Int]
    let addedA: Bool
    let addedB: Bool
    let listHasA: Bool
    let listHasB: Bool
    let getShowsA: Bool
    let raw: [String]

    var summary: String {
        "A=\(a) B=\(b): reply ids \(ids), list shows A \(listHasA) and B \(listHasB), get shows A \(getShowsA); replies \(raw)"
    }
}
