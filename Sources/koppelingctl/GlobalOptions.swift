import ArgumentParser
import KoppelingClient
import KoppelingProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `--socket` and `--json`, accepted before or after the subcommand.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("Pad van de socket van koppelingd (of KOPPELING_SOCKET).", valueName: "pad")
    )
    var socket: String?

    @Flag(name: .long, help: "Druk het ruwe JSON-resultaat af, voor scripts.")
    var json = false
}

/// One conversation with the daemon for one command, with the exit codes
/// and Dutch messages the tool promises.
struct Session {
    let options: GlobalOptions
    let connection: KoppelingConnection

    init(_ options: GlobalOptions) throws {
        self.options = options
        let path = options.socket ?? DefaultPaths.clientSocket()
        do {
            connection = try KoppelingConnection(path: path)
        } catch {
            let hint: String
            if case .noAccess(_, let group, let readerGroup) = error {
                let group = group ?? "koppelingbeheer"
                let user = Self.userName()
                hint =
                    "Een beheerder voegt u toe met: sudo usermod -aG \(group) \(user)"
                    + (readerGroup.map { " (beheren), of sudo usermod -aG \($0) \(user) (alleen inzien)" } ?? "")
                    + "; daarna logt u opnieuw in (of start u een nieuwe shell met 'newgrp \(group)')."
            } else {
                let explicit = options.socket != nil || SocketChoice.fromEnvironment != nil
                hint = SocketChoice.unreachableHint(path: path, explicit: explicit)
            }
            throw Output.noAnswer(error, hint: hint, json: options.json)
        }
    }

    /// Calls `method`; with `--json` prints the raw result and returns nil,
    /// otherwise returns the decoded result for human output.
    /// `fileLines` maps the request's rows (1-based) to the lines of the
    /// file they came from, so a refusal names the line the administrator
    /// sees in the file (`Regel 4`), not the row the daemon counted.
    func call<P, R>(_ method: MethodDescriptor<P, R>, _ params: P, fileLines: [Int] = []) throws -> R? {
        do {
            if options.json {
                let data = try connection.callRaw(method, params)
                print(String(decoding: data, as: UTF8.self))
                return nil
            }
            return try connection.call(method, params)
        } catch let error as RPCError {
            Output.refusal(options.json ? error : Output.withFileLines(error, fileLines), json: options.json)
            throw ExitCode(CtlExit.refused)
        } catch let error as ClientError {
            throw Output.noAnswer(error, hint: nil, json: options.json)
        }
    }

    /// The raw JSON of `method`'s result, with the refusals and exit codes
    /// of `call`: for a command that prints it and still judges it.
    func callRaw<R>(_ method: MethodDescriptor<NoParams, R>) throws -> Data {
        do {
            return try connection.callRaw(method, NoParams())
        } catch let error as RPCError {
            Output.refusal(error, json: options.json)
            throw ExitCode(CtlExit.refused)
        } catch let error as ClientError {
            throw Output.noAnswer(error, hint: nil, json: options.json)
        }
    }

    /// This user's login name, for the command that grants access.
    static func userName() -> String {
        guard let entry = getpwuid(getuid()) else { return "\(getuid())" }
        return String(cString: entry.pointee.pw_name)
    }

    /// Calls `method` for what a command needs to know before its own
    /// request (the terms version to show): decoded even with `--json`,
    /// where only the command's own result is printed.
    func lookup<P, R>(_ method: MethodDescriptor<P, R>, _ params: P) throws -> R {
        do {
            return try connection.call(method, params)
        } catch let error as RPCError {
            Output.refusal(error, json: options.json)
            throw ExitCode(CtlExit.refused)
        } catch let error as ClientError {
            throw Output.noAnswer(error, hint: nil, json: options.json)
        }
    }

    func call<R>(_ method: MethodDescriptor<NoParams, R>) throws -> R? {
        try call(method, NoParams())
    }
}
