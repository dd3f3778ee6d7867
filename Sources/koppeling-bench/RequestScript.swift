import Foundation

/// The request lines one connection sends, in order. Written by hand
/// rather than with JSONEncoder: the bench shares the machine with the
/// daemon, and every cycle it spends encoding is one the daemon lacks.
/// Every value put in a line is letters, digits and spaces, so nothing
/// needs escaping.
struct RequestScript: RequestSource {
    static let koppelingen = ["topdossier", "topdossier-eckid"]

    let mix: Mix
    let readSchools: [String]
    let connection: Int
    let connections: Int
    let firstWriteSchool: Int
    private var codes: CodeFactory
    private var nextID: Int64 = 1
    private var step = 0
    private var readStep = 0
    private var writeStep = 0
    private var writeSchool = 0
    private var writeBrin6 = ""

    init(mix: Mix, readSchools: [String], connection: Int, connections: Int, firstWriteSchool: Int, runTag: String) {
        self.mix = mix
        self.readSchools = readSchools
        self.connection = connection
        self.connections = connections
        self.firstWriteSchool = firstWriteSchool
        self.codes = CodeFactory(runTag: runTag, connection: connection)
        // Connections start at different schools so they do not all read
        // the same rows in lock-step.
        self.readStep = connection * 7
    }

    mutating func next() -> Request? {
        step += 1
        switch mix {
        case .read: return nextRead()
        case .write: return nextWrite()
        case .mixed: return step % 4 == 0 ? nextWrite() : nextRead()
        case .get: return nextGet()
        case .add: return nextAdd()
        }
    }

    private mutating func nextGet() -> Request {
        let school = readSchools[readStep % readSchools.count]
        readStep += 1
        return line(.schoolGet, #"{"brin6":"\#(school)"}"#)
    }

    /// The schools of one connection are `firstWriteSchool + connection +
    /// k × connections`, as in the write cycle.
    private mutating func nextAdd() -> Request {
        let brin6 = Brin6Space.brin6(firstWriteSchool + connection + writeStep * connections)
        writeStep += 1
        return line(.schoolAdd, #"{"brin6":"\#(brin6)","name":"Benchschool \#(brin6)"}"#)
    }

    private mutating func nextRead() -> Request {
        let n = readStep
        readStep += 1
        let school = readSchools[(n / 3) % readSchools.count]
        switch n % 3 {
        case 0: return line(.hello, nil)
        case 1: return line(.schoolGet, #"{"brin6":"\#(school)"}"#)
        default: return line(.overview, #"{"brin6":"\#(school)"}"#)
        }
    }

    /// Five steps per school; the schools of one connection are
    /// `firstWriteSchool + connection + k × connections`, so connections
    /// never collide.
    private mutating func nextWrite() -> Request {
        let n = writeStep
        writeStep += 1
        switch n % 5 {
        case 0:
            writeSchool = firstWriteSchool + connection + (n / 5) * connections
            writeBrin6 = Brin6Space.brin6(writeSchool)
            return line(.schoolAdd, #"{"brin6":"\#(writeBrin6)","name":"Benchschool \#(writeBrin6)"}"#)
        case 1, 2:
            return activate(Self.koppelingen[n % 5 - 1])
        case 3:
            return line(.deactivate, #"{"brin6":"\#(writeBrin6)","koppeling":"topdossier-eckid","reason":"bench"}"#)
        default:
            return line(.deactivate, #"{"brin6":"\#(writeBrin6)","koppeling":"topdossier"}"#)
        }
    }

    private mutating func activate(_ koppeling: String) -> Request {
        let code = codes.next(for: writeBrin6)
        return line(
            .activate,
            #"{"brin6":"\#(writeBrin6)","koppeling":"\#(koppeling)","name":"Bench Beheerder","agree":true,"terms_version":"2024.1","verification_code":"\#(code)"}"#
        )
    }

    private mutating func line(_ method: BenchMethod, _ params: String?) -> Request {
        let id = nextID
        nextID += 1
        return Request(method: method, id: id, params: params)
    }
}
