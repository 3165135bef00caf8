extension CommandRegistry {
    /// Every command this agent implements, in the order `guest-info` lists them.
    public static func standard() -> CommandRegistry {
        let registry = CommandRegistry()
        registry.register(GuestSyncDelimited.self)
        registry.register(GuestSync.self)
        registry.register(GuestPing.self)
        registry.register(GuestInfo.self)
        registry.register(GuestFsfreezeStatus.self)
        registry.register(GuestFsfreezeFreeze.self)
        registry.register(GuestFsfreezeFreezeList.self)
        registry.register(GuestFsfreezeThaw.self)
        registry.register(GuestFstrim.self)
        return registry
    }
}
