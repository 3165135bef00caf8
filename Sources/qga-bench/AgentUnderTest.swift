/// One agent binary under test, and what each round measured of it.
final class AgentUnderTest {
    let label: String
    let path: String
    var rounds: [RoundResult] = []

    init(label: String, path: String) {
        self.label = label
        self.path = path
    }
}

/// The figures of one round of one agent; nil where the agent could not do it.
struct RoundResult {
    var startupMs: Double?
    var rssStartKB: Double?
    var rssPeakKB: Double?
    /// RSS once the agent has answered one big request and been idle for a moment.
    var rssAfterBigRequestKB: Double?
    var throughput: [String: Double] = [:]
    var p50Us: Double?
    var p99Us: Double?
    var commands = 0
    /// Shared objects mapped once started (path → size on disk).
    var sharedObjects: [String: Int] = [:]
}
