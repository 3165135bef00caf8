/* A correction of the Embedded Swift runtime, linked into the shipped binary
 * (scripts/build-embedded.sh) and into make embedded-check's smoke program, which checks it.
 *
 * swift_bridgeObjectRetain must return its argument unchanged: compiled code may go on using
 * the returned value as the object. The Embedded runtime of Swift 6.3 returns the untagged
 * pointer instead (fixed upstream after 6.3, swiftlang/swift#91151), which clears a String's
 * small-string and ASCII flags: on aarch64, where the argument and the result share x0, the
 * agent then read "guest-ping" as a large string's pointer and crashed comparing it. These
 * definitions take precedence over the runtime's weak ones. */
#include <stdint.h>

#if UINTPTR_MAX != 0xffffffffffffffffu
#error "the BridgeObject mask below is the 64-bit one"
#endif
/* The BridgeObject bits that are not part of the object pointer: the tag bit 63 stays (it
 * tells swift_retain_n that there is nothing to count), the String discriminator bits 60-62
 * and the low 3 bits go. */
#define BRIDGE_OBJECT_POINTER_MASK UINT64_C(0x8ffffffffffffff8)

void *swift_retain_n(void *object, uint32_t n);

void *swift_bridgeObjectRetain_n(void *object, uint32_t n) {
    swift_retain_n((void *)((uintptr_t)object & BRIDGE_OBJECT_POINTER_MASK), n);
    return object;
}

void *swift_bridgeObjectRetain(void *object) { return swift_bridgeObjectRetain_n(object, 1); }
