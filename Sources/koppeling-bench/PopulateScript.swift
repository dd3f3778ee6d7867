/// One connection's share of a populated register: for each (school,
/// koppeling) pair it owns, `rounds` activations with a deactivation
/// between each two, so the last one stays active. The daemon keeps every
/// ended activation, so this is how a register grows to more activations
/// than pairs.
struct PopulateScript: RequestSource {
    let schools: [String]
    let connection: Int
    let connections: Int
    let rounds: Int
    private var codes: CodeFactory
    private var pair: Int
    private var step = 0
    private var nextID: Int64 = 1

    init(schools: [String], connection: Int, connections: Int, rounds: Int, runTag: String) {
        self.schools = schools
        self.connection = connection
        self.connections = connections
        self.rounds = rounds
        self.codes = CodeFactory(runTag: runTag, connection: connection)
        self.pair = connection
    }

    mutating func next() -> Request? {
        let steps = 2 * rounds - 1
        if step == steps {
            step = 0
            pair += connections
        }
        guard pair < schools.count * RequestScript.koppelingen.count else { return nil }
        let school = schools[pair / 2]
        let koppeling = RequestScript.koppelingen[pair % 2]
        let id = nextID
        nextID += 1
        defer { step += 1 }
        if step % 2 == 0 {
            let code = codes.next(for: school)
            return Request(
                method: .activate,
                id: id,
                params:
                    #"{"brin6":"\#(school)","koppeling":"\#(koppeling)","name":"Bench Beheerder","agree":true,"terms_version":"2024.1","verification_code":"\#(code)"}"#
            )
        }
        return Request(method: .deactivate, id: id, params: #"{"brin6":"\#(school)","koppeling":"\#(koppeling)"}"#)
    }
}
