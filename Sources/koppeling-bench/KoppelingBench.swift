import ArgumentParser

@main
struct KoppelingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koppeling-bench",
        abstract: "Load generator for koppelingd (docs/performance.md, scripts/bench.sh).",
        subcommands: [LoadCommand.self, PopulateCommand.self, StartupCommand.self, TimerCommand.self],
        defaultSubcommand: LoadCommand.self
    )
}
