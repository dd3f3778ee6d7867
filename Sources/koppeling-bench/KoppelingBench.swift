import ArgumentParser

@main
struct KoppelingBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "koppeling-bench", abstract: "Load generator for koppelingd.")
    func run() throws {}
}
