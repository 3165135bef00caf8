// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "qemu-ga-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "qemu-ga-swift", targets: ["qemu-ga-swift"]),
        .executable(name: "qga", targets: ["qga"]),
        .executable(name: "qga-bench", targets: ["qga-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // json-c, through pkg-config; the shim keeps the include path in one place.
        .systemLibrary(
            name: "CJSONC",
            pkgConfig: "json-c",
            providers: [.apt(["libjson-c-dev"])]
        ),
        // Bytes in, requests out; replies out, bytes in. No I/O.
        .target(name: "QGAProtocol", dependencies: ["CJSONC"]),
        // Linux headers Swift's Glibc module leaves out (signalfd, vsock, getopt_long, syslog),
        // and fixed-argument forms of the variadic calls and macros Embedded Swift cannot import
        // (open, fcntl, ioctl, errno).
        .target(name: "CLinux"),
        // Typed system calls: Errno, FileDescriptor, the one EINTR retry, socket addresses,
        // the monotonic clock, directories, the one posix_spawn. Every other module's way to
        // the C library.
        .target(name: "SystemCalls", dependencies: ["CLinux"]),
        // Transports and the poll loop.
        .target(name: "Channel", dependencies: ["QGAProtocol", "CLinux", "SystemCalls"]),
        // Running a child process: argv, stdin, captured output, timeout, process-group kill.
        .target(name: "ProcessRunner", dependencies: ["SystemCalls"]),
        // Running the fsfreeze hook.
        .target(name: "FreezeHooks", dependencies: ["ProcessRunner", "SystemCalls"]),
        // The command registry and every handler, behind the GuestSystem seam.
        .target(
            name: "Commands",
            dependencies: [
                "QGAProtocol", "FreezeHooks", "ProcessRunner", "CLinux", "SystemCalls",
            ]
        ),
        .executableTarget(
            name: "qemu-ga-swift",
            dependencies: [
                "QGAProtocol", "Channel", "Commands", "FreezeHooks", "CLinux", "SystemCalls",
            ]
        ),
        // The host-side client.
        .executableTarget(
            name: "qga",
            dependencies: [
                "QGAProtocol", "CLinux", "SystemCalls",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `make bench`: qemu-ga-swift against qemu-ga (not shipped in guests).
        .executableTarget(
            name: "qga-bench",
            dependencies: ["SystemCalls", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Not shipped: measures freeze+thaw of loop-mounted filesystems (run as root).
        .executableTarget(
            name: "fsfreeze-bench",
            dependencies: ["Commands", "FreezeHooks", "ProcessRunner", "SystemCalls"],
            path: "Benchmarks/FSFreezeBench"
        ),
        .testTarget(name: "QGAProtocolTests", dependencies: ["QGAProtocol"]),
        .testTarget(name: "ChannelTests", dependencies: ["Channel", "Commands", "QGAProtocol"]),
        .testTarget(
            name: "CommandsTests",
            dependencies: ["Commands", "QGAProtocol"]
        ),
        .testTarget(name: "AgentTests", dependencies: ["QGAProtocol"]),
        .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls", "CLinux"]),
        .testTarget(name: "ProcessRunnerTests", dependencies: ["ProcessRunner"]),
        .testTarget(name: "FreezeHooksTests", dependencies: ["FreezeHooks", "ProcessRunner"]),
    ]
)
