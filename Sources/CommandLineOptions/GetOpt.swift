// GNU getopt_long's behaviour in Swift, without the C library: qemu-ga parses its command line
// with glibc's getopt_long, and the agent must accept, reject and report options exactly as
// qemu-ga does whichever C library it is linked with (the shipped binary uses musl, whose
// getopt_long words its messages differently and permutes nothing). Written from glibc 2.36's
// observed behaviour (Tests/CommandLineOptionsTests compare the two on argv tables), not from
// its source. Works on bytes: getopt looks at one byte at a time and prints the byte it rejects.

/// The GNU `getopt_long` parser: qemu-ga's way of reading its command line.
///
/// What it reproduces: operands are skipped and options after them still read (glibc
/// permutes argv) unless `POSIXLY_CORRECT` asks for the POSIX order; `--` ends the options;
/// short options cluster (`-vd`); a required value is attached (`-bguest-exec`) or the next
/// argument whatever it looks like (`-m --`); an optional value (`F::`) is only ever attached;
/// long options take `--name=value` or `--name value`; a long name may be shortened to any
/// prefix that names one option, or several options that return the same thing (`--bl`); an
/// exact name wins over longer ones that start with it. Each rejected option gets glibc's
/// message, prefixed with `arguments[0]`.
public enum GetOpt {
    /// Whether a long option takes a value (`struct option`'s `has_arg`).
    public enum Argument: Equatable, Sendable {
        case none
        case required
        case optional
    }

    /// One row of the long-option table.
    public struct LongOption: Sendable {
        public var name: String
        public var argument: Argument
        /// What the parser returns for it: the short option's character, or a code above 255.
        public var code: Int32

        public init(name: String, argument: Argument, code: Int32) {
            self.name = name
            self.argument = argument
            self.code = code
        }
    }

    /// One option as the parser returned it, in command-line order.
    public struct Parsed: Equatable, Sendable {
        /// The option's code; `unknown` for a rejected option or a missing value.
        public var code: Int32
        public var argument: String?

        public init(code: Int32, argument: String? = nil) {
            self.code = code
            self.argument = argument
        }
    }

    /// How operands and options may mix (glibc's `ordering`).
    public enum Ordering: Sendable {
        /// Options are read wherever they are; operands are collected (glibc's default).
        case permute
        /// The first operand ends the options (glibc with `POSIXLY_CORRECT` set, or a
        /// leading `+` in the short options).
        case requireOrder
    }

    /// Everything one parse found.
    public struct Result: Equatable, Sendable {
        /// The options in command-line order, rejected ones as `unknown`.
        public var options: [Parsed] = []
        /// The non-option arguments in their order: what getopt leaves in argv from `optind` on.
        public var operands: [String] = []
        /// One line per rejected option, newline included, as getopt writes it to stderr.
        public var messages: [[UInt8]] = []

        public init() {}
    }

    /// The code returned for an unknown option, a missing value or a value where none is
    /// allowed (getopt's `'?'`).
    public static let unknown = Int32(UInt8(ascii: "?"))

    /// Parses `arguments` (`arguments[0]` is the program name) completely.
    ///
    /// `shortOptions` is getopt's option string: each option character, followed by `:` when
    /// it takes a value and `::` when the value is optional. Its leading `+`, `-` and `:`
    /// modifiers are not interpreted (qemu-ga uses none); `ordering` stands in for `+` and
    /// `POSIXLY_CORRECT`.
    public static func parse(
        _ arguments: [String], shortOptions: String, longOptions: [LongOption], ordering: Ordering = .permute
    ) -> Result {
        var parser = Parser(
            arguments: arguments.map { Array($0.utf8) }, shortOptions: Array(shortOptions.utf8),
            longOptions: longOptions.map { (name: Array($0.name.utf8), option: $0) })
        return parser.run(ordering: ordering)
    }
}

/// One pass over the arguments; `index` plays getopt's `optind`.
private struct Parser {
    let arguments: [[UInt8]]
    let shortOptions: [UInt8]
    let longOptions: [(name: [UInt8], option: GetOpt.LongOption)]
    var index = 1
    var result = GetOpt.Result()

    init(arguments: [[UInt8]], shortOptions: [UInt8], longOptions: [(name: [UInt8], option: GetOpt.LongOption)]) {
        self.arguments = arguments
        self.shortOptions = shortOptions
        self.longOptions = longOptions
    }

    var program: [UInt8] { arguments.first ?? [] }

    mutating func run(ordering: GetOpt.Ordering) -> GetOpt.Result {
        while index < arguments.count {
            let argument = arguments[index]
            if argument == Array("--".utf8) {
                // Everything after `--` is an operand, even what looks like an option.
                index += 1
                break
            }
            // "-" alone and anything not starting with '-' is an operand.
            if argument.count < 2 || argument[0] != UInt8(ascii: "-") {
                if ordering == .requireOrder { break }
                result.operands.append(text(argument[...]))
                index += 1
                continue
            }
            index += 1
            if argument[1] == UInt8(ascii: "-") {
                readLongOption(argument)
            } else {
                readShortOptions(argument)
            }
        }
        result.operands += arguments[index...].map { text($0[...]) }
        return result
    }

    /// `-abc`: each byte an option until one takes a value, which is the rest of the argument
    /// or else (when required) the next argument.
    mutating func readShortOptions(_ argument: [UInt8]) {
        var position = 1
        while position < argument.count {
            let character = argument[position]
            position += 1
            let rest = argument[position...]
            // ':' is the option string's own punctuation, never an option.
            guard character != UInt8(ascii: ":"), let found = shortOptions.firstIndex(of: character) else {
                report(message("invalid option -- '", [character], "'"))
                result.options.append(GetOpt.Parsed(code: GetOpt.unknown))
                continue
            }
            let code = Int32(character)
            let takesValue = found + 1 < shortOptions.count && shortOptions[found + 1] == UInt8(ascii: ":")
            if !takesValue {
                result.options.append(GetOpt.Parsed(code: code))
                continue
            }
            let optional = found + 2 < shortOptions.count && shortOptions[found + 2] == UInt8(ascii: ":")
            if !rest.isEmpty {
                result.options.append(GetOpt.Parsed(code: code, argument: text(rest)))
            } else if optional {
                result.options.append(GetOpt.Parsed(code: code))
            } else if index < arguments.count {
                // The next argument is the value whatever it looks like, `--` included.
                result.options.append(GetOpt.Parsed(code: code, argument: text(arguments[index][...])))
                index += 1
            } else {
                report(message("option requires an argument -- '", [character], "'"))
                result.options.append(GetOpt.Parsed(code: GetOpt.unknown))
            }
            return
        }
    }

    /// `--name`, `--name=value`, `--name value`, or any prefix of a name that picks one option.
    mutating func readLongOption(_ argument: [UInt8]) {
        let spelled = argument[2...]  // name and "=value" as written, for the messages
        let nameEnd = spelled.firstIndex(of: UInt8(ascii: "=")) ?? spelled.endIndex
        let name = spelled[..<nameEnd]

        guard let found = match(name, spelled: spelled) else { return }
        let option = found.option
        if nameEnd != spelled.endIndex {
            let value = spelled[(nameEnd + 1)...]
            guard option.argument != .none else {
                report(message("option '--", found.name[...], "' doesn't allow an argument"))
                result.options.append(GetOpt.Parsed(code: GetOpt.unknown))
                return
            }
            result.options.append(GetOpt.Parsed(code: option.code, argument: text(value)))
        } else if option.argument == .required {
            guard index < arguments.count else {
                report(message("option '--", found.name[...], "' requires an argument"))
                result.options.append(GetOpt.Parsed(code: GetOpt.unknown))
                return
            }
            result.options.append(GetOpt.Parsed(code: option.code, argument: text(arguments[index][...])))
            index += 1
        } else {
            result.options.append(GetOpt.Parsed(code: option.code))
        }
    }

    /// The table row `name` picks: the first exact match, else the first row it abbreviates,
    /// unless it also abbreviates a row that differs from that one in value kind or code
    /// (then it is ambiguous). Reports and records the rejection when there is no row.
    mutating func match(_ name: ArraySlice<UInt8>, spelled: ArraySlice<UInt8>) -> (
        name: [UInt8], option: GetOpt.LongOption
    )? {
        if let exact = longOptions.first(where: { $0.name[...] == name }) { return exact }
        let candidates = longOptions.filter { $0.name.starts(with: name) }
        guard let first = candidates.first else {
            report(message("unrecognized option '--", spelled, "'"))
            result.options.append(GetOpt.Parsed(code: GetOpt.unknown))
            return nil
        }
        // glibc compares each later candidate with the first one only, and lists the first
        // and those that differ from it.
        let conflicting = candidates.dropFirst().filter {
            $0.option.argument != first.option.argument || $0.option.code != first.option.code
        }
        if conflicting.isEmpty { return first }
        var line = message("option '--", spelled, "' is ambiguous; possibilities:")
        line.removeLast()  // the newline: the possibilities follow on the same line
        for candidate in [first] + conflicting {
            line += Array(" '--".utf8) + candidate.name + [UInt8(ascii: "'")]
        }
        line.append(UInt8(ascii: "\n"))
        report(line)
        result.options.append(GetOpt.Parsed(code: GetOpt.unknown))
        return nil
    }

    /// `PROGRAM: <before><subject><after>\n`, getopt's shape for every message.
    func message(_ before: String, _ subject: ArraySlice<UInt8>, _ after: String) -> [UInt8] {
        program + Array(": ".utf8) + Array(before.utf8) + Array(subject) + Array(after.utf8) + [UInt8(ascii: "\n")]
    }

    func message(_ before: String, _ subject: [UInt8], _ after: String) -> [UInt8] {
        message(before, subject[...], after)
    }

    mutating func report(_ line: [UInt8]) { result.messages.append(line) }

    /// Arguments came in as Strings and are only ever cut after an ASCII byte, so the slices
    /// are whole UTF-8.
    func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
}
