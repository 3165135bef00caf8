import Logging

/// The agent's swift-log handler: every line goes through one ``AgentLogSink``.
///
/// `main` bootstraps it once (`LoggingSystem.bootstrap { AgentLogHandler(label: $0, sink: sink) }`)
/// and hands the same sink to ``FreezeState/logSink``, so a freeze holds every logger's lines.
public struct AgentLogHandler: LogHandler {
    public let label: String
    public let sink: AgentLogSink
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, sink: AgentLogSink, logLevel: Logger.Level = .info) {
        self.label = label
        self.sink = sink
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var text = event.message.description
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        sink.write(level: event.level, text)
    }
}
