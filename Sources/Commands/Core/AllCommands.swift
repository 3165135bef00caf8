extension CommandRegistry {
    /// Every command this agent implements, in the order `guest-info` lists them.
    public static func standard() -> CommandRegistry {
        let registry = CommandRegistry()
        registry.register(GuestSyncDelimited.self)
        registry.register(GuestSync.self)
        registry.register(GuestPing.self)
        registry.register(GuestInfo.self)
        registry.register(GuestShutdown.self)
        registry.register(GuestSuspendDisk.self)
        registry.register(GuestSuspendRam.self)
        registry.register(GuestSuspendHybrid.self)
        registry.register(GuestGetVCPUs.self)
        registry.register(GuestSetVCPUs.self)
        registry.register(GuestGetMemoryBlocks.self)
        registry.register(GuestSetMemoryBlocks.self)
        registry.register(GuestGetMemoryBlockInfo.self)
        registry.register(GuestFsfreezeStatus.self)
        registry.register(GuestFsfreezeFreeze.self)
        registry.register(GuestFsfreezeFreezeList.self)
        registry.register(GuestFsfreezeThaw.self)
        registry.register(GuestFstrim.self)
        return registry
    }
}
