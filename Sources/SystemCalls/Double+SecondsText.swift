extension Double {
    /// A duration in seconds as the agent's messages and settings write it: `60` rather than
    /// `60.0`, a fraction as Swift prints it (`1.5`). Here because every module that words a
    /// timeout (FreezeHooks, Commands, the executable, `qga`) sits on this one.
    public var secondsText: String {
        self == rounded() && magnitude < 1e15 ? String(Int64(self)) : String(self)
    }
}
