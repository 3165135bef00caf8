// qemu-ga-swift: the QEMU guest agent protocol, in Swift.
AgentOptions.main(AgentOptions.normalize(Array(CommandLine.arguments.dropFirst())))
