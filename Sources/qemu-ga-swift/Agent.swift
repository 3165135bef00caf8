#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Channel
import Commands
import FreezeHooks
import QGAProtocol

/// Wires configuration, logging, the registry and the channel together and runs the loop.
final class Agent {
    let configuration: Configuration

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs until SIGTERM/SIGINT (0) or a fatal channel error (1).
    func run() -> Int32 {
        // One sink behind every logger: it holds lines in memory while filesystems are frozen.
        // The log file is opened lazily, so an agent that starts frozen opens it only after thaw.
        let sink = AgentLogSink(destination: configuration.logfile.map { .file($0) } ?? .standardError)
        // qemu-ga's levels: errors only, everything with -v.
        let logger = AgentLogger(sink: sink, level: configuration.verbose ? .debug : .error)

        guard LinuxSystem().isDirectory(configuration.statedir) else {
            printError("state directory '\(configuration.statedir)' does not exist (create it or pass -t DIR)")
            logger.error("failed to load persistent state: '\(configuration.statedir)' is not a directory")
            return 1
        }
        // A previous agent that died frozen left the state file: then the log file must not be
        // opened (it may sit on a frozen filesystem) until thaw; otherwise open it now, so an
        // error reaches the terminal before we detach.
        let startsFrozen = LinuxSystem().fileExists(configuration.statedir + "/" + FreezeState.stateFileName)
        if !startsFrozen {
            do {
                try sink.open()
            } catch {
                printError("\(error.desc)")
                return 1
            }
        }
        if configuration.daemonize {
            do {
                try Daemon.detach(keeping: sink.openDescriptor ?? -1)
            } catch {
                printError("\(error)")
                return 1
            }
        }

        signal(SIGPIPE, SIG_IGN)
        let signals: SignalSource
        do {
            signals = try SignalSource([SIGTERM, SIGINT, SIGHUP, SIGIO, SIGCHLD])
        } catch {
            printError("\(error)")
            return 1
        }

        let registry = CommandRegistry.standard()
        registry.blocked = Set(configuration.blockRPCs)
        registry.allowed = configuration.allowRPCs.isEmpty ? nil : Set(configuration.allowRPCs)
        let freeze = FreezeState(
            hook: configuration.fsfreezeHook.map { FreezeHook(path: $0, timeout: configuration.fsfreezeHookTimeout) },
            watchdogTimeout: configuration.fsfreezeTimeout, logSink: sink)
        let context = CommandContext(
            system: LinuxSystem(), paths: SystemPaths.fromEnvironment { Environment.get($0) },
            registry: registry, logger: logger, stateDirectory: configuration.statedir, freeze: freeze)

        // qemu-ga's check_is_frozen: start frozen, with its warning (held until thaw).
        FSFreeze.startupCheck(context: context)
        if configuration.daemonize {
            let pidfile = configuration.pidfile
            if freeze.isFrozen {
                // Deferred until thaw, as qemu-ga defers its pidfile.
                freeze.whenThawed {
                    do {
                        _ = try Daemon.writePidfile(pidfile)
                    } catch {
                        logger.error("\(error)")
                    }
                }
            } else {
                do {
                    _ = try Daemon.writePidfile(pidfile)
                } catch {
                    logger.error("\(error)")
                    return 1
                }
            }
        }
        let session = AgentSession(context: context)
        let handler = SessionChannelHandler(session: session)

        let endpoint: ChannelServer.Endpoint
        do {
            endpoint = try openEndpoint()
        } catch {
            logger.error("\(error)")
            printError("\(error)")
            FSFreeze.thawForShutdown(context: context)
            return 1
        }
        let server = ChannelServer(endpoint: endpoint, handler: handler, signals: signals)
        server.log = { logger.debug("\($0)") }
        if configuration.retryPath, case .device = endpoint {
            let open = openDevice
            server.reopenDevice = { () throws(ChannelError) -> DevicePort in try open() }
        }
        // The freeze watchdog: the loop sleeps until its deadline (same monotonic clock).
        server.deadline = { freeze.watchdogDeadline }
        server.onDeadline = { FSFreeze.watchdogExpired(context: context) }
        // guest-exec children: their pipes move while the agent serves the host.
        server.watched = { context.processes.pollDescriptors() }
        server.onWatchedReady = { context.processes.service(system: context.system) }
        server.onChildExited = { context.processes.service(system: context.system) }
        server.onSignal = { signal in
            if signal == SIGHUP { return false }
            logger.debug("received signal \(signal), exiting")
            // qemu-ga ignores SIGTERM while frozen; we thaw (and run the thaw hook), then exit 0.
            FSFreeze.thawForShutdown(context: context)
            return true
        }
        // The path really opened: without udev the virtio port is found in sysfs.
        let openedPath: String
        if case .device(let port) = endpoint { openedPath = port.path } else { openedPath = configuration.effectivePath ?? "" }
        logger.debug("guest agent started on \(configuration.method.rawValue) \(openedPath)")
        var status: Int32 = 0
        do {
            try server.run()
        } catch {
            logger.error("\(error)")
            status = 1
        }
        // Never leave filesystems frozen behind us.
        FSFreeze.thawForShutdown(context: context)
        if case .listening(let socket) = endpoint { socket.close() }
        return status
    }

    /// systemd socket activation, as qemu-ga: exactly one listening socket on fd 3 for us.
    static func activatedSocket(environment: (String) -> String?) -> Int32? {
        guard environment("LISTEN_FDS") == "1", let pid = environment("LISTEN_PID").flatMap({ Int32($0) }),
            pid == getpid()
        else { return nil }
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening != 0 else { return nil }
        return 3
    }

    private func openEndpoint() throws(ChannelError) -> ChannelServer.Endpoint {
        if let fd = Agent.activatedSocket(environment: { Environment.get($0) }) {
            return .listening(ListeningSocket.inherited(fd: fd))
        }
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

    init(session: AgentSession) { self.session = session }

    func received(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        // Replies go straight into the channel's buffer: no second buffer, no copy.
        var writer = JSONWriter(taking: &output)
        session.receive(bytes, into: &writer)
        output = writer.takeBytes()
    }

    func connectionStarted() { session.reset() }
}
