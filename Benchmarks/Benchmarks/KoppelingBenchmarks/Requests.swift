import Foundation

/// Typical request lines, as in docs/protocol.md.
enum Requests {
    static let hello = #"{"jsonrpc":"2.0","id":1,"method":"hello"}"#
    static let schoolGet = #"{"jsonrpc":"2.0","id":14,"method":"school.get","params":{"brin6":"21QW00"}}"#
    static let overview = #"{"jsonrpc":"2.0","id":11,"method":"koppeling.overview","params":{"brin6":"21QW00"}}"#
    static let activate =
        #"{"jsonrpc":"2.0","id":10,"method":"koppeling.activate","params":{"brin6":"21QW00","koppeling":"topdossier-eckid","name":"J. de Vries","agree":true,"verification_code":"21qw00yF67BfewMKku23Gh"}}"#

    /// The read mix of scripts/bench.sh (hello, school.get,
    /// koppeling.overview in turn) with an activation every fourth line.
    static let mix = [hello, schoolGet, overview, activate]
}
