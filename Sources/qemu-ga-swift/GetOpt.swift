// The only file that calls getopt_long(3) (declared through CLinux: Swift's Glibc module
// leaves <getopt.h> out). getopt keeps its state in C globals (optind, optarg, opterr), which
// Swift 6 refuses to touch without @preconcurrency; the agent is single-threaded when it
// parses its command line.
@preconcurrency import Glibc
@preconcurrency import CLinux

/// The C library's `getopt_long`: the parser qemu-ga uses, so clustered short options
/// (`-vd`), attached values (`-bguest-exec`), optional values (`-F[PATH]`), `--opt=value` and
/// unambiguous long prefixes (`--daemon`) behave exactly as they do for qemu-ga.
enum GetOpt {
    /// Whether a long option takes a value (`struct option`'s `has_arg`).
    enum Argument: Int32 {
        case none = 0
        case required = 1
        case optional = 2
    }

    /// One row of the long-option table.
    struct LongOption {
        var name: String
        var argument: Argument
        /// What getopt_long returns for it: the short option's character, or a code above 255.
        var code: Int32
    }

    /// One option as getopt_long returned it, in command-line order.
    struct Parsed: Equatable {
        /// The option's code; `"?"` for an unknown option or a missing value.
        var code: Int32
        var argument: String?
    }

    /// The code getopt_long returns for an unknown option or a missing value.
    static let unknown = Int32(UInt8(ascii: "?"))

    /// Parses `arguments` (`arguments[0]` is the program name) completely.
    ///
    /// The corresponding C function is `getopt_long(3)`, with `opterr` set: the C library
    /// prints its own message (`invalid option -- 'x'`, `option '--d' is ambiguous; ...`) to
    /// stderr, prefixed with `arguments[0]`, for each option it rejects. Operands (non-options)
    /// are ignored, as qemu-ga ignores them. Safe to call more than once in a process: it
    /// resets getopt's state first (`optind = 0`).
    static func parse(_ arguments: [String], shortOptions: String, longOptions: [LongOption]) -> [Parsed] {
        // getopt_long permutes argv's pointers (never the strings): give it copies it may move.
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        var table: [option] = longOptions.map {
            option(name: UnsafePointer(strdup($0.name)), has_arg: $0.argument.rawValue, flag: nil, val: $0.code)
        }
        table.append(option(name: nil, has_arg: 0, flag: nil, val: 0))
        defer {
            for pointer in argv { free(pointer) }
            for entry in table { free(UnsafeMutableRawPointer(mutating: entry.name)) }
        }

        var parsed: [Parsed] = []
        optind = 0  // glibc: 0 re-initialises everything, including a half-read cluster
        opterr = 1
        argv.withUnsafeMutableBufferPointer { argvBuffer in
            table.withUnsafeBufferPointer { tableBuffer in
                while true {
                    let code = getopt_long(
                        Int32(arguments.count), argvBuffer.baseAddress!, shortOptions, tableBuffer.baseAddress, nil)
                    if code == -1 { break }
                    parsed.append(Parsed(code: code, argument: optarg.map { String(cString: $0) }))
                }
            }
        }
        optind = 0
        return parsed
    }
}
