#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Channel
import Commands
import Logging
import QGAProtocol

/// Wires configuration, logging, the registry and the channel together and runs the loop.
final class Agent {
    let configuration: Configuration

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs until SIGTERM/SIGINT (0) or a fatal channel error (1).
    func run() -> Int32 {
        guard let logFD = openLog() else { return 1 }
        let level: Logger.Level = configuration.verbose ? .debug : .error
        var logger = Logger(label: "qemu-ga-swift") { _ in AgentLogHandler(fd: logFD, logLevel: level) }
        logger.logLevel = level

        guard LinuxSystem().isDirectory(configuration.statedir) else {
            printError("state directory '\(configuration.statedir)' does not exist (create it or pass -t DIR)")
            logger.error("failed to load persistent state: '\(configuration.statedir)' is not a directory")
            return 1
        }
        if configuration.daemonize {
            do {
                try Daemon.detach()
                _ = try Daemon.writePidfile(configuration.pidfile)
            } catch {
                logger.error("\(error)")
                return 1
            }
        }

        signal(SIGPIPE, SIG_IGN)
        let signals: SignalSource
        do {
            signals = try SignalSource([SIGTERM, SIGINT, SIGHUP, SIGIO])
        } catch {
            logger.error("\(error)")
            return 1
        }

        let registry = CommandRegistry.standard()
        registry.blocked = Set(configuration.blockRPCs)
        registry.allowed = configuration.allowRPCs.isEmpty ? nil : Set(configuration.allowRPCs)
        let context = CommandContext(
            system: LinuxSystem(), paths: SystemPaths.fromEnvironment { Environment.get($0) },
            registry: registry, logger: logger, stateDirectory: configuration.statedir)
        let session = AgentSession(context: context)
        let handler = SessionChannelHandler(session: session)

        let endpoint: ChannelServer.Endpoint
        do {
            endpoint = try openEndpoint()
        } catch {
            logger.error("\(error)")
            printError("\(error)")
            return 1
        }
        let server = ChannelServer(endpoint: endpoint, handler: handler, signals: signals)
        server.log = { logger.debug("\($0)") }
        if configuration.retryPath, case .device = endpoint {
            let open = openDevice
            server.reopenDevice = { () throws(ChannelError) -> DevicePort in try open() }
        }
        server.onSignal = { signal in
            if signal == SIGHUP { return false }
            logger.debug("received signal \(signal), exiting")
            return true
        }
        logger.debug("guest agent started on \(configuration.method.rawValue) \(configuration.effectivePath ?? "")")
        do {
            try server.run()
        } catch {
            logger.error("\(error)")
            return 1
        }
        if case .listening(let socket) = endpoint { socket.close() }
        return 0
    }

    private func openLog() -> Int32? {
        guard let logfile = configuration.logfile else { return 2 }
        let fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        if fd < 0 {
            printError("unable to open specified log file '\(logfile)': \(String(cString: strerror(errno)))")
            return nil
        }
        return fd
    }

    private func openEndpoint() throws(ChannelError) -> ChannelServer.Endpoint {
        switch configuration.method {
        case .unixListen:
            return .listening(try ListeningSocket.unix(path: configuration.effectivePath ?? ""))
        case .vsockListen:
            return .listening(try ListeningSocket.vsock(address: configuration.effectivePath ?? ""))
        case .virtioSerial, .isaSerial:
            return .device(try openDevice())
        }
    }

    private func openDevice() throws(ChannelError) -> DevicePort {
        let path = configuration.effectivePath ?? ""
        if configuration.method == .isaSerial { return try DevicePort.serial(path: path) }
        // Without udev the /dev/virtio-ports/ symlink is missing: find the port in sysfs.
        if configuration.path == nil, !LinuxSystem().fileExists(path),
            let discovered = VirtioSerialPort.discover()
        {
            return try DevicePort.virtio(path: discovered)
        }
        return try DevicePort.virtio(path: path)
    }
}

/// Adapts the command session to the channel: replies of a batch go out in one buffer.
final class SessionChannelHandler: ChannelHandler {
    let session: AgentSession
    private var writer = JSONWriter(capacity: 64 << 10)

    init(session: AgentSession) { self.session = session }

    func received(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        writer.removeAll()
        session.receive(bytes, into: &writer)
        output.append(contentsOf: writer.bytes)
    }

    func connectionStarted() { session.reset() }
}
