import KoppelingClient
import KoppelingProtocol

/// The schools the read mix asks about: `count` BRIN6s from 10AA00 on,
/// registered with one `school.import` unless an earlier run left them.
enum ReadSchools {
    static let block = 10

    static func brin6s(count: Int) -> [String] {
        let first = Brin6Space.firstIndex(ofBlock: block)
        return (0..<count).map { Brin6Space.brin6(first + $0) }
    }

    static func ensure(_ schools: [String], socket: String) throws {
        let connection = try KoppelingConnection(path: socket)
        let rows = schools.map { SchoolImportParams.Row(brin6: $0, name: "Leesschool \($0)") }
        do {
            _ = try connection.call(
                Methods.schoolImport,
                SchoolImportParams(schools: rows)
            )
        } catch let refusal as RPCError {
            // All or nothing: a refusal may only mean they exist already.
            for school in schools {
                do {
                    _ = try connection.callRaw(Methods.schoolGet, Brin6Params(brin6: school))
                } catch {
                    throw BenchFailure("setting up the read schools failed: \(refusal.message); \(school): \(error)")
                }
            }
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
