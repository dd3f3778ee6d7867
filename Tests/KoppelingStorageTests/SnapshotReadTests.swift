import Foundation
import KoppelingCore
import Testing

@testable import KoppelingStorage

/// "A read sees one consistent snapshot" (DESIGN §4, §7): every query in one
/// `read {}` scope sees the register as it was at the scope's first query,
/// however many commits other connections make meanwhile. Without the
/// scope's transaction each statement would run in autocommit and see the
/// latest commit, so a reply could list two schools and count three.
@Suite("A read scope is one snapshot")
struct SnapshotReadTests {
    @Test("a reader's scope: a commit on the writer between two queries is not seen by the second")
    func readerScopeIgnoresACommitInTheMiddle() throws {
        try withTemporaryDirectory { dir in
            let writer = try dir.openRegister(schools: ["21QW00"])
            defer { writer.close() }
            let reader = try writer.reader()
            defer { reader.close() }

            let (first, second, counted) = try reader.read {
                let first = try reader.schools().map(\.brin6)
                // Another connection commits while this read is open.
                _ = try writer.write {
                    try writer.addSchool(try brin("21QW01"), name: "School 21QW01", now: Fixture.now)
                }
                let second = try reader.schools().map(\.brin6)
                let counted = try reader.counts().schools
                return (first, second, counted)
            }
            #expect(first == ["21QW00"])
            #expect(second == first, "the second query of one read saw a commit made after the first")
            #expect(counted == first.count, "two queries of one read disagree on the number of schools")
            // The commit is real: a read that starts after it sees it, so the
            // check above is about the snapshot, not a lost write.
            #expect(try reader.read { try reader.schools().map(\.brin6) } == ["21QW00", "21QW01"])
        }
    }

    @Test("the writer's own read scope: a commit from another process's connection in the middle is not seen")
    func writerReadScopeIgnoresAnotherConnectionsCommit() throws {
        try withTemporaryDirectory { dir in
            let register = try dir.openRegister(schools: ["21QW00"])
            defer { register.close() }
            // Stands in for another process writing the file (the sqlite3
            // shell): a connection the register does not own.
            let other = try SQLiteConnection(path: dir.databasePath, readOnly: false)
            defer { other.close() }
            try other.execute("PRAGMA busy_timeout = 5000")

            let (first, second) = try register.read {
                let first = try register.schools().map(\.brin6)
                _ = try other.run(
                    "INSERT INTO school (brin6, name, created_at) VALUES (?, ?, ?)",
                    [.text("21QW02"), .text("School 21QW02"), .text(Fixture.now)]
                )
                let second = try register.schools().map(\.brin6)
                return (first, second)
            }
            #expect(first == ["21QW00"])
            #expect(second == first, "the second query of one read saw another connection's commit")
            #expect(try register.read { try register.schools().map(\.brin6) } == ["21QW00", "21QW02"])
        }
    }
}
