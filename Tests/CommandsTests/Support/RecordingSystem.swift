import Glibc
import Commands
import ProcessRunner
import QGAProtocol
import SystemCalls

/// A GuestSystem for handler tests: files are real (under a temp dir the test builds),
/// child processes are recorded and answered from a script instead of being run.
final class RecordingSystem: GuestSystem {
    private let files = LinuxSystem()
    /// Every invocation `run` was asked for, in order.
    private(set) var invocations: [ProcessInvocation] = []
    /// Decides the outcome of each invocation; default: exit 0, no output.
    var respond: (ProcessInvocation) -> ProcessOutcome = { _ in ProcessOutcome(termination: .exited(0)) }
    /// Paths treated as executable in addition to real executable files.
    var executables: Set<String> = []
    /// When false, only `executables` count, so a test does not depend on what this machine
    /// has in `/sbin`.
    var realExecutables = true
    /// Every path `writeFile` was asked to write, in order (including failed writes).
    private(set) var writtenPaths: [String] = []
    /// Writes to these paths fail with the errno, as a kernel refusing a sysfs write would.
    var writeErrors: [String: Int32] = [:]
    private(set) var syncCount = 0
    /// Fake FIFREEZE/FITHAW/FITRIM with errno injection; never touches a real filesystem.
    let filesystems = FakeFilesystems()

    /// Reads of these paths fail in open(2) with the errno (EACCES, which root never sees on
    /// a real file).
    var openErrors: [String: Int32] = [:]

    func readFile(_ path: String) throws(SystemCallError) -> [UInt8] {
        if let code = openErrors[path] { throw SystemCallError(.open, path: path, errno: Errno(code)) }
        return try files.readFile(path)
    }
    func readFile(_ path: String, maxBytes: Int) throws(SystemCallError) -> [UInt8] {
        if let code = openErrors[path] { throw SystemCallError(.open, path: path, errno: Errno(code)) }
        return try files.readFile(path, maxBytes: maxBytes)
    }
    func writeFile(_ path: String, _ bytes: [UInt8], create: Bool) throws(SystemCallError) {
        writtenPaths.append(path)
        if let code = writeErrors[path] { throw SystemCallError(.write, path: path, errno: Errno(code)) }
        try files.writeFile(path, bytes, create: create)
    }
    func listDirectory(_ path: String) throws(SystemCallError) -> [String] { try files.listDirectory(path) }
    func checkDirectory(_ path: String) throws(SystemCallError) { try files.checkDirectory(path) }
    func fileExists(_ path: String) -> Bool { files.fileExists(path) }
    func isDirectory(_ path: String) -> Bool { files.isDirectory(path) }
    func isExecutable(_ path: String) -> Bool {
        executables.contains(path) || (realExecutables && files.isExecutable(path))
    }
    func removeFile(_ path: String) throws(SystemCallError) { try files.removeFile(path) }
    func run(_ invocation: ProcessInvocation) -> ProcessOutcome {
        invocations.append(invocation)
        return respond(invocation)
    }
    func syncFilesystems() { syncCount += 1 }
    func blockDevice(_ path: String) -> DeviceNumber? { filesystems.blockDevices[path] }
    func openDirectory(_ path: String) throws(SystemCallError) -> Int32 { try filesystems.open(path) }
    func closeDescriptor(_ fd: Int32) { filesystems.close(fd) }
    func freezeFilesystem(_ fd: Int32) throws(SystemCallError) { try filesystems.freeze(fd) }
    func thawFilesystem(_ fd: Int32) throws(SystemCallError) { try filesystems.thaw(fd) }
    func trimFilesystem(_ fd: Int32, minimum: UInt64) throws(SystemCallError) -> TrimmedRange {
        try filesystems.trim(fd, minimum: minimum)
    }

    // System information: fixed fake answers, so tests never depend on this machine.

    /// What `uname` answers; nil makes it fail with EFAULT.
    var kernel: KernelIdentity? = KernelIdentity(
        release: "6.1.0-test-amd64", version: "#1 SMP PREEMPT_DYNAMIC Test 6.1.0-1", machine: "x86_64")
    func kernelIdentity() throws(SystemCallError) -> KernelIdentity {
        guard let kernel else { throw SystemCallError(.uname, errno: Errno(EFAULT)) }
        return kernel
    }

    /// What `gethostname` answers; nil makes it fail with ENAMETOOLONG.
    var host: String? = "test-guest"
    func hostName() throws(SystemCallError) -> String {
        guard let host else { throw SystemCallError(.gethostname, errno: .nameTooLong) }
        return host
    }

    /// The fake clock, in nanoseconds since the epoch.
    var clock: Int64 = 1_700_000_000_123_456_789
    func realTime() -> Int64 { clock }

    /// What getloadavg answers; nil fails as getloadavg can (ENOSYS).
    var loads: (Double, Double, Double)? = (0.52001953125, 1, 12.25)
    func loadAverages() throws(SystemCallError) -> (Double, Double, Double) {
        guard let loads else { throw SystemCallError(.getloadavg, errno: Errno(ENOSYS)) }
        return loads
    }

    /// Every `setSystemTime` call, in order; the real clock is never touched.
    private(set) var systemTimeSets: [Int64] = []
    /// Makes `setSystemTime` fail with this errno (after recording the call).
    var setSystemTimeError: Int32?
    func setSystemTime(nanoseconds: Int64) throws(SystemCallError) {
        systemTimeSets.append(nanoseconds)
        if let code = setSystemTimeError { throw SystemCallError(.setClock, errno: Errno(code)) }
        clock = nanoseconds
    }

    /// The fake zone, and the moments it was asked about.
    var timeZone = LocalTimeZone(abbreviation: "CET", offset: 3600)
    private(set) var timeZoneQueries: [Int64] = []
    func localTimeZone(at seconds: Int64) -> LocalTimeZone {
        timeZoneQueries.append(seconds)
        return timeZone
    }

    var utmp: [UserAccountingRecord] = []
    func userAccountingRecords() -> [UserAccountingRecord] { utmp }

    var clockTicks = 100
    func clockTicksPerSecond() -> Int { clockTicks }

    /// What `getifaddrs` answers; nil makes it fail with ENOMEM.
    var interfaces: [InterfaceAddress]? = []
    func interfaceAddresses() throws(SystemCallError) -> [InterfaceAddress] {
        guard let interfaces else { throw SystemCallError(.getifaddrs, errno: Errno(ENOMEM)) }
        return interfaces
    }

    /// Hardware addresses by interface (a missing one has none), and each interface asked about.
    var hardwareAddresses: [String: [UInt8]] = [:]
    private(set) var hardwareAddressQueries: [String] = []
    /// A socket that cannot be created (the whole command fails).
    var socketErrno: Int32?
    func hardwareAddress(ofInterface name: String) throws(SystemCallError) -> [UInt8]? {
        hardwareAddressQueries.append(name)
        if let code = socketErrno { throw SystemCallError(.socket, errno: Errno(code)) }
        return hardwareAddresses[name]
    }

    /// statvfs answers by path; any other path fails with ENOENT.
    var usage: [String: FilesystemUsage] = [:]
    func filesystemUsage(_ path: String) throws(SystemCallError) -> FilesystemUsage {
        guard let value = usage[path] else { throw SystemCallError(.statvfs, path: path, errno: .noSuchFileOrDirectory) }
        return value
    }

    /// NVMe health log pages by device node; any other device fails with ENOTTY (not NVMe).
    var nvmeHealthLogs: [String: [UInt8]] = [:]
    /// The devices whose health log was asked for, in order.
    var nvmeHealthLogRequests: [String] = []
    func nvmeHealthLog(_ device: String) throws(SystemCallError) -> [UInt8] {
        nvmeHealthLogRequests.append(device)
        guard let page = nvmeHealthLogs[device] else { throw SystemCallError(.nvmeAdminCommand, path: device, errno: .inappropriateIoctl) }
        return page
    }

    func resolvePath(_ path: String) throws(SystemCallError) -> String { try files.resolvePath(path) }
    func symbolicLinkTarget(_ path: String) -> String? { files.symbolicLinkTarget(path) }

    // Files: real, in the test's temp dir.

    /// `replaceFile` fails for these paths with the error given.
    var replaceErrors: [String: SystemCallError] = [:]

    func openFile(_ path: String, flags: Int32, permissions: UInt32) throws(SystemCallError) -> Int32 {
        try files.openFile(path, flags: flags, permissions: permissions)
    }
    func setPermissions(_ fd: Int32, _ permissions: UInt32) throws(SystemCallError) {
        try files.setPermissions(fd, permissions)
    }
    func readDescriptor(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        try files.readDescriptor(fd, into: buffer)
    }
    func writeDescriptor(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemCallError) -> Int {
        try files.writeDescriptor(fd, bytes)
    }
    func seekDescriptor(_ fd: Int32, offset: Int64, whence: Int32) throws(SystemCallError) -> Int64 {
        try files.seekDescriptor(fd, offset: offset, whence: whence)
    }
    func closeFile(_ fd: Int32) throws(SystemCallError) { try files.closeFile(fd) }
    func replaceFile(_ path: String, with bytes: [UInt8], permissions: UInt32) throws(SystemCallError) {
        if let error = replaceErrors[path] { throw error }
        try files.replaceFile(path, with: bytes, permissions: permissions)
    }

    // guest-exec children: recorded, then really started (tests run harmless programs).

    /// Every child `spawnChild` was asked for, in order.
    private(set) var spawnRequests: [ChildRequest] = []

    func spawnChild(_ request: ChildRequest) throws(SystemCallError) -> SpawnedChild {
        spawnRequests.append(request)
        return try files.spawnChild(request)
    }
    func reapChild(_ pid: Int32) -> ChildExit? { files.reapChild(pid) }

    // Accounts: only the ones the test declares; a real user is never looked up.

    var users: [String: UserAccount] = [:]
    /// Every ownership change, in order (also applied: tests use temp dirs).
    private(set) var ownerChanges: [(path: String, uid: UInt32, gid: UInt32)] = []

    func userAccount(_ name: String) -> UserAccount? { users[name] }
    func makeDirectory(_ path: String, permissions: UInt32) throws(SystemCallError) {
        try files.makeDirectory(path, permissions: permissions)
    }
    /// Giving `~/.ssh` or a file in it to the user fails for these paths (the directory's, or
    /// the file's own) with the errno given, after recording the call, as fchown and fchmod do
    /// on a read-only or foreign filesystem. For a file, nothing is written.
    var ownerErrors: [String: Errno] = [:]
    var permissionErrors: [String: Errno] = [:]

    func openDirectoryNoFollow(_ path: String) throws(SystemCallError) -> OpenDirectory {
        try files.openDirectoryNoFollow(path)
    }
    func closeDirectory(_ directory: OpenDirectory) { files.closeDirectory(directory) }
    func readFile(_ name: String, in directory: OpenDirectory) throws(SystemCallError) -> [UInt8] {
        try files.readFile(name, in: directory)
    }
    func setOwner(of directory: OpenDirectory, uid: UInt32, gid: UInt32) throws(SystemCallError) {
        ownerChanges.append((directory.path, uid, gid))
        if let errno = ownerErrors[directory.path] { throw SystemCallError(.fchown, path: directory.path, errno: errno) }
        try files.setOwner(of: directory, uid: uid, gid: gid)
    }
    func setPermissions(of directory: OpenDirectory, _ permissions: UInt32) throws(SystemCallError) {
        if let errno = permissionErrors[directory.path] {
            throw SystemCallError(.fchmod, path: directory.path, errno: errno)
        }
        try files.setPermissions(of: directory, permissions)
    }
    func replaceFile(
        _ name: String, in directory: OpenDirectory, with bytes: [UInt8], uid: UInt32, gid: UInt32,
        permissions: UInt32
    ) throws(SystemCallError) {
        let path = directory.path(of: name)
        ownerChanges.append((path, uid, gid))
        // The steps' own calls, on the temporary file, as the real seam reports them.
        if let errno = ownerErrors[path] { throw SystemCallError(.setTemporaryOwner, path: path + ".XXXXXX", errno: errno) }
        if let errno = permissionErrors[path] {
            throw SystemCallError(.setTemporaryPermissions, path: path + ".XXXXXX", errno: errno)
        }
        try files.replaceFile(name, in: directory, with: bytes, uid: uid, gid: gid, permissions: permissions)
    }
}
