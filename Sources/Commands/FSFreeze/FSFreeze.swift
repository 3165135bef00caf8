import Glibc
import FreezeHooks
import QGAProtocol
import SystemCalls

/// Freezing and thawing filesystems, as qemu-ga's `qmp_guest_fsfreeze_*` do it, plus what the
/// executable drives: the startup check, thaw on SIGTERM/SIGINT and the watchdog.
public enum FSFreeze {
    /// Thawing stops after this many successful FITHAW calls on one mount (nested freezes are
    /// counted by the kernel; this only guards against a filesystem that never says no).
    static let maximumThawsPerMount = 1024

    /// `<statedir>/qga.state.isfrozen`.
    public static func stateFilePath(_ context: CommandContext) -> String {
        context.stateDirectory + "/" + FreezeState.stateFileName
    }

    // MARK: - Commands

    /// Runs the freeze hook, then FIFREEZEs the mounts (all, or those named) in reverse mount
    /// order. Returns how many were frozen; 0 leaves the agent thawed.
    public static func freeze(mountpoints: [String]?, context: CommandContext) throws(QGAError) -> Int {
        context.logger.audit("guest-fsfreeze called")
        try runHook(.freeze, context: context)
        let mounts: [MountEntry]
        do {
            mounts = try MountTable.load(context)
        } catch {
            try? runHook(.thaw, context: context)  // see below: the freeze hook ran
            throw error
        }

        // Nothing may be written to disk from here until thaw.
        setFrozen(context, createStateFile: true)
        let frozen: Int
        do {
            frozen = try freezeMounts(mounts, only: mountpoints, context: context)
        } catch {
            // qemu-ga: thaw everything (and run the thaw hook), then report the freeze error.
            _ = try? thaw(context: context)
            throw error
        }
        if frozen == 0 {
            unsetFrozen(context)
            // Unlike qemu-ga, give a freeze hook that ran its thaw: what it locked for the
            // snapshot (a database's tables, say) must not stay locked because nothing froze.
            // A failing thaw hook is logged; the reply is still the count.
            try? runHook(.thaw, context: context)
        }
        return frozen
    }

    /// FITHAWs every mount in mount order until each says no, leaves the frozen state, then runs
    /// the thaw hook. Returns how many mounts were thawed.
    public static func thaw(context: CommandContext) throws(QGAError) -> Int {
        let mounts = try MountTable.load(context)
        let system = context.system
        var thawed = 0
        for mount in mounts {
            guard let fd = try? system.openDirectory(mount.directory) else { continue }
            defer { system.closeDescriptor(fd) }
            var calls = 0
            while calls < maximumThawsPerMount, (try? system.thawFilesystem(fd)) != nil { calls += 1 }
            if calls > 0 { thawed += 1 }
        }
        unsetFrozen(context)
        context.logger.audit("guest-fsthaw called")
        try runHook(.thaw, context: context)
        return thawed
    }

    private static func freezeMounts(_ mounts: [MountEntry], only mountpoints: [String]?, context: CommandContext) throws(QGAError) -> Int {
        let system = context.system
        var frozen = 0
        for mount in mounts.reversed() {
            if let mountpoints, !mountpoints.contains(mount.directory) { continue }
            let fd: Int32
            do {
                fd = try system.openDirectory(mount.directory)
            } catch {
                throw QGAError.system("failed to open \(mount.directory)", errno: error.errno ?? EIO)
            }
            defer { system.closeDescriptor(fd) }
            do {
                try system.freezeFilesystem(fd)
                frozen += 1
            } catch {
                let errno = error.errno ?? EIO
                // EOPNOTSUPP: the filesystem cannot freeze; EBUSY: already frozen (a bind mount).
                if errno == EOPNOTSUPP || errno == EBUSY { continue }
                throw QGAError.system("failed to freeze \(mount.directory)", errno: errno)
            }
        }
        return frozen
    }

    // MARK: - The frozen state

    /// qemu-ga's `ga_set_frozen`: only the allow-list answers, logging is held, the state file exists.
    /// - Parameter createStateFile: false at startup, when the file is what says we are frozen
    ///   (and nothing may be logged before the hold: the log file must stay unopened).
    static func setFrozen(_ context: CommandContext, createStateFile: Bool) {
        let state = context.freeze
        guard !state.isFrozen else { return }
        if createStateFile { context.logger.debug("holding log output in memory due to filesystem freeze") }
        state.logSink?.hold()
        state.markFrozen()
        context.registry.frozen = true
        if createStateFile {
            let path = stateFilePath(context)
            do {
                try context.system.writeFile(path, [], create: true)
            } catch {
                context.logger.warning("unable to create \(path), fsfreeze may not function properly")
            }
        }
    }

    /// qemu-ga's `ga_unset_frozen`: logging and deferred work resume, commands come back (except
    /// those `-b`/`-a` disable), the state file goes.
    static func unsetFrozen(_ context: CommandContext) {
        let state = context.freeze
        guard state.isFrozen else { return }
        let deferred = state.markThawed()
        state.logSink?.release()
        context.logger.warning("logging re-enabled due to filesystem unfreeze")
        for action in deferred { action() }
        context.registry.frozen = false
        let path = stateFilePath(context)
        do {
            try context.system.removeFile(path)
        } catch {
            context.logger.warning("unable to delete \(path), fsfreeze may not function properly")
        }
    }

    // MARK: - The hook

    /// Runs the configured hook (if any) with `action`; its output goes to the log.
    static func runHook(_ action: FreezeHookAction, context: CommandContext) throws(QGAError) {
        guard let hook = context.freeze.hook else { return }
        let invocation = hook.invocation(action)
        context.logger.audit("executing fsfreeze hook with arg '\(action.rawValue)'")
        let system = context.system
        do {
            let report = try FreezeHookRunner.run(invocation, spawn: system.run)
            if !report.output.isEmpty { context.logger.info("fsfreeze hook output: \(report.output)") }
        } catch {
            context.logger.error("fsfreeze hook failed: \(error.message)")
            if action == .freeze, case .timedOut = error.reason {
                // Killed half-way, the hook could not undo what it did: give it its thaw run.
                context.logger.warning("running the fsfreeze hook with 'thaw' after its 'freeze' run timed out")
                _ = try? runHook(.thaw, context: context)
            }
            throw QGAError(error.message)
        }
    }

    // MARK: - For the executable

    /// At startup: if `qga.state.isfrozen` exists (the previous agent died frozen), start in
    /// the frozen state, with qemu-ga's warning, and arm the watchdog. Returns whether it did.
    ///
    /// Call it after building the context and before anything is logged, so that a log file
    /// on a frozen filesystem is not opened.
    @discardableResult
    public static func startupCheck(context: CommandContext) -> Bool {
        let path = stateFilePath(context)
        guard context.system.fileExists(path) else { return false }
        setFrozen(context, createStateFile: false)
        context.logger.warning(
            "previous instance appears to have exited with frozen filesystems. deferring logging/pidfile creation and disabling non-fsfreeze-safe commands until guest-fsfreeze-thaw is issued, or filesystems are manually unfrozen and the file \(path) is removed"
        )
        return true
    }

    /// On SIGTERM/SIGINT: if frozen, thaw and run the thaw hook (errors are logged); then the
    /// caller exits 0. Returns how many filesystems were thawed, nil when not frozen.
    @discardableResult
    public static func thawForShutdown(context: CommandContext) -> Int? {
        guard context.freeze.isFrozen else { return nil }
        context.logger.warning("termination requested while filesystems are frozen: thawing them first")
        do {
            let thawed = try thaw(context: context)
            context.logger.info("thawed \(thawed) filesystems before exiting")
            return thawed
        } catch {
            context.logger.error("thaw before exiting failed: \(error.desc)")
            context.logger.audit("failed to clean up frozen filesystems: \(error.desc)")
            return 0
        }
    }

    /// Call when ``FreezeState/watchdogDeadline`` has passed: thaws, runs the thaw hook and logs
    /// why. Returns true when it thawed (false if nothing was due). A failed thaw is retried
    /// after ``FreezeState/watchdogRetryInterval``.
    @discardableResult
    public static func watchdogExpired(context: CommandContext) -> Bool {
        let state = context.freeze
        let now = state.clock()
        guard state.isFrozen, let deadline = state.watchdogDeadline, now >= deadline else { return false }
        // An error, not a warning: the host froze and never came back; the default level shows it.
        context.logger.error(
            "no guest-fsfreeze-thaw within \(state.watchdogTimeout.secondsText) seconds of the freeze (--fsfreeze-timeout): thawing filesystems"
        )
        do {
            let thawed = try thaw(context: context)
            context.logger.error("fsfreeze watchdog thawed \(thawed) filesystems")
        } catch {
            context.logger.error("fsfreeze watchdog: \(error.desc)")
            if state.isFrozen { state.watchdogDeadline = now + FreezeState.watchdogRetryInterval }
        }
        return true
    }
}
