// qemu-ga-swift: the QEMU guest agent protocol, in Swift.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

switch AgentCommandLine.parse(CommandLine.arguments, environment: { Environment.get($0) }, reportError: { printError($0) }) {
case .exit(let status, let output):
    print(output, terminator: "")
    exit(status)
case .run(let configuration):
    exit(Agent(configuration: configuration).run())
}
