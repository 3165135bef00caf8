/// qemu-ga's option table (`qga/main.c`), plus the freeze watchdog settings, 7.2's
/// `--blacklist` and `--allow-vsock-cids`: the table the agent parses its command line with.
/// Here rather than in the executable so that the getopt tests check this very table.
public enum QemuGAOptions {
    /// qemu-ga's short options (`F::`: `-F` takes its value attached or none).
    public static let shortOptions = "hVvdc:m:p:l:f:F::b:a:t:Dr"

    public static let fsfreezeTimeoutCode: Int32 = 256
    public static let fsfreezeHookTimeoutCode: Int32 = 257
    public static let allowVsockCIDsCode: Int32 = 258
    /// The option's long name, which is also its config-file key.
    public static let allowVsockCIDsName = "allow-vsock-cids"

    public static let longOptions: [GetOpt.LongOption] = [
        .init(name: "help", argument: .none, code: code("h")),
        .init(name: "version", argument: .none, code: code("V")),
        .init(name: "config", argument: .required, code: code("c")),
        .init(name: "dump-conf", argument: .none, code: code("D")),
        .init(name: "logfile", argument: .required, code: code("l")),
        .init(name: "pidfile", argument: .required, code: code("f")),
        .init(name: "fsfreeze-hook", argument: .optional, code: code("F")),
        .init(name: "verbose", argument: .none, code: code("v")),
        .init(name: "method", argument: .required, code: code("m")),
        .init(name: "path", argument: .required, code: code("p")),
        .init(name: "daemonize", argument: .none, code: code("d")),
        .init(name: "block-rpcs", argument: .required, code: code("b")),
        // qemu-ga 7.2's name (10.x dropped it); older units still pass it. Same code and
        // argument kind as --block-rpcs, so getopt does not call `--bl` ambiguous.
        .init(name: "blacklist", argument: .required, code: code("b")),
        .init(name: "allow-rpcs", argument: .required, code: code("a")),
        .init(name: "statedir", argument: .required, code: code("t")),
        .init(name: "retry-path", argument: .none, code: code("r")),
        .init(name: "fsfreeze-timeout", argument: .required, code: fsfreezeTimeoutCode),
        .init(name: "fsfreeze-hook-timeout", argument: .required, code: fsfreezeHookTimeoutCode),
        .init(name: allowVsockCIDsName, argument: .required, code: allowVsockCIDsCode),
    ]

    private static func code(_ character: Unicode.Scalar) -> Int32 { Int32(character.value) }
}
