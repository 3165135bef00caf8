// qemu-ga-swift: the QEMU guest agent protocol, in Swift.
import Glibc
import SystemCalls

switch AgentCommandLine.parse(
    ThisProcess.arguments, environment: { ThisProcess.environment($0) }, reportError: { printError($0) },
    reportOptionError: { writeStandardError($0) })
{
case .exit(let status, let output):
    try? FileDescriptor.standardOutput.writeAll(Array(output.utf8))
    exit(status)
case .run(let configuration):
    exit(Agent(configuration: configuration).run())
}
