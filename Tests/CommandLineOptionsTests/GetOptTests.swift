import CommandLineOptions
import Foundation
import Testing

// GetOpt against the real thing: this machine's glibc getopt_long (what qemu-ga is linked
// with), run in a small C program compiled once per test run, on the same argv tables. Every
// case compares the options, the operands and the exact bytes written to stderr.

/// qemu-ga's short options and long-option table: the ones the agent parses with.
let qemuGAShortOptions = QemuGAOptions.shortOptions
let qemuGALongOptions = QemuGAOptions.longOptions

/// A table made to probe the matching rules: rows that share a prefix and agree (`same-*`),
/// rows where only the first and a later one differ (`x*`: `xc` agrees with `xa`, `xb` does
/// not), and a name that is the prefix of another (`exact`, `exactly`).
let probeShortOptions = "ab:c::x"
let probeLongOptions: [GetOpt.LongOption] = [
    .init(name: "xa", argument: .none, code: code("x")),
    .init(name: "xb", argument: .required, code: code("x")),
    .init(name: "xc", argument: .none, code: code("x")),
    .init(name: "same-one", argument: .required, code: 1000),
    .init(name: "same-two", argument: .required, code: 1000),
    .init(name: "exactly", argument: .none, code: code("E")),
    .init(name: "exact", argument: .none, code: code("e")),
    .init(name: "opt", argument: .optional, code: 1001),
]

func code(_ character: Unicode.Scalar) -> Int32 { Int32(character.value) }

/// One argv and the table it is parsed with.
struct GetOptCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var shortOptions = qemuGAShortOptions
    var longOptions = qemuGALongOptions
    var ordering = GetOpt.Ordering.permute

    static let program = "/usr/sbin/qemu-ga"

    init(_ arguments: [String], probe: Bool = false, ordering: GetOpt.Ordering = .permute) {
        self.arguments = [Self.program] + arguments
        if probe {
            shortOptions = probeShortOptions
            longOptions = probeLongOptions
        }
        self.ordering = ordering
    }

    var testDescription: String {
        arguments.dropFirst().map { $0.debugDescription }.joined(separator: " ")
            + (shortOptions == probeShortOptions ? " (probe table)" : "")
            + (ordering == .requireOrder ? " (POSIX order)" : "")
    }

    func parse() -> GetOpt.Result {
        GetOpt.parse(arguments, shortOptions: shortOptions, longOptions: longOptions, ordering: ordering)
    }
}

/// glibc's getopt_long on a case: a C program that builds `struct option` from its arguments,
/// parses the rest, and prints what it returned.
enum GlibcGetOpt {
    static let source = #"""
        #include <getopt.h>
        #include <stdio.h>
        #include <stdlib.h>
        /* getopt-oracle SHORTOPTS COUNT (NAME HAS_ARG VAL){COUNT} PROGRAM ARG... */
        int main(int argc, char **argv) {
            int count = atoi(argv[2]);
            struct option *table = calloc(count + 1, sizeof *table);
            for (int i = 0; i < count; i++) {
                table[i].name = argv[3 + 3 * i];
                table[i].has_arg = atoi(argv[4 + 3 * i]);
                table[i].val = atoi(argv[5 + 3 * i]);
            }
            int first = 3 + 3 * count;
            int parsed_count = argc - first;
            char **parsed = argv + first;
            int code;
            setvbuf(stdout, NULL, _IONBF, 0);
            while ((code = getopt_long(parsed_count, parsed, argv[1], table, NULL)) != -1) {
                printf("option %d\n", code);
                if (optarg) printf("value %s\n", optarg);
            }
            for (int i = optind; i < parsed_count; i++) printf("operand %s\n", parsed[i]);
            return 0;
        }
        """#

    /// The compiled oracle's path, built once.
    static let executable: Result<String, OracleError> = {
        let dir = NSTemporaryDirectory() + "getopt-oracle-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try source.write(toFile: dir + "/oracle.c", atomically: true, encoding: .utf8)
            let compile = try run("/usr/bin/env", ["cc", "-o", dir + "/oracle", dir + "/oracle.c"])
            guard compile.status == 0 else { return .failure(OracleError(text: "cc: " + compile.stderr.text)) }
            return .success(dir + "/oracle")
        } catch {
            return .failure(OracleError(text: "\(error)"))
        }
    }()

    struct OracleError: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }

    static func parse(_ testCase: GetOptCase) throws -> GetOpt.Result {
        let oracle = try executable.get()
        var table: [String] = ["\(testCase.longOptions.count)"]
        for option in testCase.longOptions {
            let hasArgument = switch option.argument {
            case .none: 0
            case .required: 1
            case .optional: 2
            }
            table += [option.name, "\(hasArgument)", "\(option.code)"]
        }
        // A leading '+' asks glibc for the order POSIXLY_CORRECT asks for.
        let shortOptions = (testCase.ordering == .requireOrder ? "+" : "") + testCase.shortOptions
        let output = try run(oracle, [shortOptions] + table + testCase.arguments)
        guard output.status == 0 else { throw OracleError(text: "oracle exited \(output.status)") }

        var result = GetOpt.Result()
        for line in output.stdout.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("option ") {
                result.options.append(GetOpt.Parsed(code: Int32(line.dropFirst("option ".count))!))
            } else if line.hasPrefix("value ") {
                result.options[result.options.count - 1].argument = String(line.dropFirst("value ".count))
            } else if line.hasPrefix("operand ") {
                result.operands.append(String(line.dropFirst("operand ".count)))
            } else {
                throw OracleError(text: "unexpected oracle line \(line.debugDescription)")
            }
        }
        result.messages = lines(output.stderr)
        return result
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: [UInt8], stderr: [UInt8]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["POSIXLY_CORRECT"] = nil
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Small outputs: both fit in the pipes' buffers, so reading one after the other is safe.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, [UInt8](stdout), [UInt8](stderr))
    }
}

/// `bytes` cut after each newline, newlines kept: GetOpt's messages, one per line.
func lines(_ bytes: [UInt8]) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var current: [UInt8] = []
    for byte in bytes {
        current.append(byte)
        if byte == UInt8(ascii: "\n") {
            result.append(current)
            current = []
        }
    }
    if !current.isEmpty { result.append(current) }
    return result
}

extension [UInt8] {
    var text: String { String(decoding: self, as: UTF8.self) }
}

@Suite("GetOpt: glibc getopt_long's results and messages, case by case against this machine's glibc")
struct GetOptAgainstGlibcTests {
    static let cases: [GetOptCase] = [
        // Short options: clusters, attached and detached values, optional values.
        .init([]),
        .init(["-D"]),
        .init(["-vdD"]),
        .init(["-bguest-exec,guest-ping", "-b", "guest-info", "-vdmisa-serial"]),
        .init(["-m", "-v"]),  // a detached value may look like an option
        .init(["-m", "--"]),  // ... or be `--`
        .init(["-vm"]),
        .init(["-m"]),
        .init(["-F"]),
        .init(["-F/x/y"]),
        .init(["-F", "/x/y"]),  // an optional value is never detached
        .init(["-vF/hook", "-d"]),
        .init(["-x"]),
        .init(["-vxd"]),
        .init(["-:"]),
        .init(["-é"]),  // rejected byte by byte, as glibc does
        .init(["-", "-v"]),
        .init([""]),
        // Long options: =value, detached values, optional values.
        .init(["--method=unix-listen", "--path", "/run/q.sock"]),
        .init(["--method", "--path"]),
        .init(["--method"]),
        .init(["--method="]),
        .init(["--fsfreeze-hook", "/z"]),
        .init(["--fsfreeze-hook=/z"]),
        .init(["--fsfreeze-hook="]),
        .init(["--fsfreeze-timeout=5", "--fsfreeze-hook-timeout", "7"]),
        .init(["--version=1"]),
        .init(["--help=", "-v"]),
        .init(["--bogus"]),
        .init(["--bogus=1", "--x"]),
        // Abbreviations and ambiguity.
        .init(["--daemon", "--verb", "--retry", "--stat=/t", "--dump"]),
        .init(["--d"]),
        .init(["--d=3"]),
        .init(["--v"]),
        .init(["--f"]),
        .init(["--fs"]),
        .init(["--fsfreeze-h"]),
        .init(["--fsfreeze-hook-t=3"]),
        .init(["--b", "x"]),  // block-rpcs and blacklist agree: not ambiguous
        .init(["--bl=x", "--bla=y", "--blo=z"]),
        .init(["--=x"]),
        .init(["--x"], probe: true),
        .init(["--x=1"], probe: true),
        .init(["--xa", "--xb", "v", "--xc"], probe: true),
        .init(["--same", "v", "--same-t=w"], probe: true),
        .init(["--exact", "--exactl", "--exa"], probe: true),
        .init(["--o", "--o=1", "--opt", "v"], probe: true),
        .init(["-abv", "-a", "-b", "-cx", "-c", "x"], probe: true),
        // Permutation, `--` and operands.
        .init(["operand", "-v", "another", "-m", "vsock-listen", "last"]),
        .init(["a", "--", "-v", "b"]),
        .init(["--", "--", "-v"]),
        .init(["-v", "--"]),
        .init(["a", "b", "--path", "p", "c"]),
        .init(["-m", "a", "b", "-p"]),
        // POSIXLY_CORRECT: the first operand ends the options.
        .init(["-v", "a", "-d"], ordering: .requireOrder),
        .init(["-m", "x", "a", "--", "-d"], ordering: .requireOrder),
        .init(["--", "-d"], ordering: .requireOrder),
        .init(["-y", "--bogus", "-m"], ordering: .requireOrder),
    ]

    @Test(arguments: cases)
    func sameAsGlibc(_ testCase: GetOptCase) throws {
        let glibc = try GlibcGetOpt.parse(testCase)
        let ours = testCase.parse()
        #expect(ours.options == glibc.options)
        #expect(ours.operands == glibc.operands)
        #expect(ours.messages.map(\.text) == glibc.messages.map(\.text))
        #expect(ours.messages == glibc.messages)
    }
}

@Suite("GetOpt: the rules qemu-ga's command line depends on")
struct GetOptRuleTests {
    let program = GetOptCase.program

    @Test("an abbreviation of rows that agree is not ambiguous: --bl and --b are --block-rpcs")
    func agreeingAbbreviation() {
        let result = GetOptCase(["--bl=a", "--b", "b"]).parse()
        #expect(result.options == [.init(code: code("b"), argument: "a"), .init(code: code("b"), argument: "b")])
        #expect(result.messages.isEmpty)
    }

    @Test("an ambiguous abbreviation lists the first row and each one that differs from it")
    func ambiguousAbbreviation() {
        let result = GetOptCase(["--d", "--x"], probe: true).parse()
        #expect(result.options == [.init(code: GetOpt.unknown), .init(code: GetOpt.unknown)])
        #expect(
            result.messages.map(\.text) == [
                "\(program): unrecognized option '--d'\n",
                "\(program): option '--x' is ambiguous; possibilities: '--xa' '--xb'\n",
            ])
        let qemuGA = GetOptCase(["--d=1"]).parse()
        #expect(
            qemuGA.messages.map(\.text) == [
                "\(program): option '--d=1' is ambiguous; possibilities: '--dump-conf' '--daemonize'\n"
            ])
    }

    @Test("an exact name wins over the longer names it abbreviates")
    func exactMatch() {
        let result = GetOptCase(["--exact", "--exactly", "--exactl"], probe: true).parse()
        #expect(result.options.map(\.code) == [code("e"), code("E"), code("E")])
    }

    @Test("options after operands are read; operands keep their order; -- ends the options")
    func permutation() {
        let result = GetOptCase(["a", "-v", "b", "-m", "c", "d", "--", "-d"]).parse()
        #expect(result.options == [.init(code: code("v")), .init(code: code("m"), argument: "c")])
        #expect(result.operands == ["a", "b", "d", "-d"])
    }

    @Test("in POSIX order the first operand ends the options")
    func requireOrder() {
        let result = GetOptCase(["-v", "a", "-d"], ordering: .requireOrder).parse()
        #expect(result.options == [.init(code: code("v"))])
        #expect(result.operands == ["a", "-d"])
    }

    @Test("glibc's texts for missing and unwanted values and unknown options")
    func messages() {
        let result = GetOptCase(["-x", "--version=1", "--bogus=2", "-m"]).parse()
        #expect(
            result.messages.map(\.text) == [
                "\(program): invalid option -- 'x'\n",
                "\(program): option '--version' doesn't allow an argument\n",
                "\(program): unrecognized option '--bogus=2'\n",
                "\(program): option requires an argument -- 'm'\n",
            ])
        let long = GetOptCase(["--meth"]).parse()
        #expect(long.messages.map(\.text) == ["\(program): option '--method' requires an argument\n"])
    }
}
