import ArgumentParser
import QGAProtocol

/// `qga fstrim [--minimum N]`.
struct FSTrim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fstrim", abstract: "Discard unused blocks on the guest's filesystems (guest-fstrim).")

    @ParentCommand var qga: QGA

    @Option(help: ArgumentHelp("Skip free ranges smaller than this many bytes.", valueName: "bytes"))
    var minimum: Int64?

    func run() throws {
        try qga.callAndPrint("guest-fstrim", arguments: minimum.map { ["minimum": .int($0)] }) { result in
            let paths = result["paths"]?.arrayValue ?? []
            printTable(
                ["PATH", "TRIMMED", "MINIMUM", "ERROR"],
                paths.map { [cellText($0["path"]), cellText($0["trimmed"]), cellText($0["minimum"]), cellText($0["error"])] })
            if paths.contains(where: { $0["error"] != nil }) { throw ExitCode(1) }
        }
    }
}
