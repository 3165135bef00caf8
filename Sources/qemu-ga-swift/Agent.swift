import Glibc
import Channel
import Commands
import FreezeHooks
import QGAProtocol
import SystemCalls

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

        guard configuration.channelMethod != nil || configuration.listenDescriptor != nil else {
            printError("unsupported channel method/type: \(configuration.method)")
            return 1
        }
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
        ThisProcess.ignore(SIGPIPE)
        let signals: SignalSource
        do {
            signals = try SignalSource([SIGTERM, SIGINT, SIGHUP, SIGIO, SIGCHLD])
        } catch {
            printError("signalfd: \(error)")
            return 1
        }

        let registry = CommandRegistry.standard()
        registry.blocked = Set(configuration.blockRPCs.names)
        registry.allowed = configuration.allowRPCs.isEmpty ? nil : Set(configuration.allowRPCs.names)
        let freeze = FreezeState(
            hook: configuration.fsfreezeHook.map { FreezeHook(path: $0, timeout: configuration.fsfreezeHookTimeout) },
            watchdogTimeout: configuration.fsfreezeTimeout, logSink: sink)
        let context = CommandContext(
            system: LinuxSystem(), paths: SystemPaths.fromEnvironment { ThisProcess.environment($0) },
            registry: registry, logger: logger, stateDirectory: configuration.statedir, freeze: freeze)

        // qemu-ga's check_is_frozen: start frozen, with its warning (held until thaw).
        FSFreeze.startupCheck(context: context)
        let session = AgentSession(context: context)
        let handler = SessionChannelHandler(session: session)

        // The channel opens before the agent detaches (qemu-ga 10.x): with -d a bad path
        // fails in the foreground. With -r a missing channel is waited for instead.
        var opened: ChannelServer.Endpoint?
        do {
            opened = try openEndpoint()
        } catch {
            guard configuration.retryPath else {
                logger.error("\(error)")
                printError("\(error)")
                FSFreeze.thawForShutdown(context: context)
                return 1
            }
            logger.info("failed to initialize guest agent channel, will retry: \(error)")
        }
        if configuration.daemonize {
            var kept = [signals.fd]
            if let fd = sink.openDescriptor { kept.append(fd) }
            if let fd = opened?.descriptor { kept.append(fd) }
            do {
                try Daemon.detach(keeping: kept)
            } catch {
                printError("\(error)")
                if case .listening(let socket) = opened { socket.close() }
                return 1
            }
            // SIGIO goes to the process that asked for it: now the child.
            if case .device(let port) = opened { try? FileDescriptor(rawValue: port.fd).setOwnerToThisProcess() }
        }
        var pidfile: Daemon.Pidfile?
        defer { pidfile?.remove() }
        if configuration.daemonize {
            let path = configuration.pidfile
            if freeze.isFrozen {
                // Deferred until thaw, as qemu-ga defers its pidfile.
                freeze.whenThawed {
                    do throws(ConfigurationError) {
                        pidfile = try Daemon.Pidfile.create(path)
                    } catch {
                        logger.error("\(error)")
                    }
                }
            } else {
                do throws(ConfigurationError) {
                    pidfile = try Daemon.Pidfile.create(path)
                } catch {
                    logger.error("\(error)")
                    FSFreeze.thawForShutdown(context: context)
                    if case .listening(let socket) = opened { socket.close() }
                    return 1
                }
            }
        }
        guard let endpoint = opened ?? waitForEndpoint(logger: logger, signals: signals) else {
            FSFreeze.thawForShutdown(context: context)
            return 0
        }
        let server = ChannelServer(endpoint: endpoint, handler: handler, signals: signals)
        server.log = { logger.debug("\($0)") }
        // Errors are what the agent logs without -v: a peer other than the host trying the
        // root agent is something an administrator should see.
        server.logAlways = { logger.error("\($0)") }
        server.peers = VsockPeerPolicy(extraCIDs: configuration.allowVsockCIDs)
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
        logger.debug("guest agent started on \(configuration.method) \(openedPath)")
        var status: Int32 = 0
        do {
            // A lost channel ends the agent with status 0, as qemu-ga's main loop does.
            if case .channelLost(let why) = try server.run() { logger.warning(why) }
        } catch {
            logger.error("\(error)")
            status = 1
        }
        // Never leave filesystems frozen behind us.
        FSFreeze.thawForShutdown(context: context)
        if case .listening(let socket) = endpoint { socket.close() }
        return status
    }

    private func openEndpoint() throws(ChannelError) -> ChannelServer.Endpoint {
        if let fd = configuration.listenDescriptor {
            return .listening(ListeningSocket.inherited(fd: fd))
        }
        switch configuration.channelMethod {
        case .unixListen:
            return .listening(try ListeningSocket.unix(path: configuration.effectivePath ?? ""))
        case .vsockListen:
            return .listening(try ListeningSocket.vsock(address: configuration.effectivePath ?? ""))
        case .virtioSerial, .isaSerial:
            return .device(try openDevice())
        case nil:
            throw ChannelError("unsupported channel method/type: \(configuration.method)")
        }
    }

    /// `-r` with no channel at start (upstream 10.1): try again every 5 s, sleeping in
    /// between (no busy loop); SIGTERM or SIGINT ends the wait and the agent (nil).
    private func waitForEndpoint(logger: AgentLogger, signals: SignalSource) -> ChannelServer.Endpoint? {
        var next = Deadline(secondsFromNow: Agent.retryInterval)
        while true {
            // The signals arrive through the signalfd the channel loop reads later: wait on it here.
            for received in signals.wait(timeoutMilliseconds: next.pollTimeout) where received == SIGTERM || received == SIGINT {
                logger.debug("received signal \(received), exiting")
                return nil
            }
            guard next.hasPassed else { continue }
            next = Deadline(secondsFromNow: Agent.retryInterval)
            do {
                let endpoint = try openEndpoint()
                logger.debug("channel opened after waiting for it")
                return endpoint
            } catch {
                logger.debug("waiting for channel path...: \(error)")
            }
        }
    }

    /// qemu-ga's QGA_RETRY_INTERVAL.
    static let retryInterval: Double = 5

    private func openDevice() throws(ChannelError) -> DevicePort {
        let path = configuration.effectivePath ?? ""
        if configuration.channelMethod == .isaSerial { return try DevicePort.serial(path: path) }
        // Without udev the /dev/virtio-ports/ symlink is missing: find the port in sysfs.
        if configuration.path == nil, !LinuxSystem().fileExists(path),
            let discovered = VirtioSerialPort.discover()
        {
            return try DevicePort.virtio(path: discovered)
        }
        return try DevicePort.virtio(path: path)
    }
}

extension ChannelServer.Endpoint {
    /// The descriptor a daemonizing fork must keep open.
    var descriptor: Int32 {
        switch self {
        case .listening(let socket): return socket.fd
        case .device(let port): return port.fd
        }
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
