/* Part of scripts/embedded-smoke.swift (Swift may not name the runtime's reserved symbols):
 * whether swift_bridgeObjectRetain, as linked into the shipped binary, returns the object
 * word it was given. Compiled code may use the returned word in place of its own copy. */
#include <stdint.h>

void *swift_bridgeObjectRetain(void *object);

int smoke_bridge_object_retain_returns_argument(uint64_t object_word) {
    return (uint64_t)(uintptr_t)swift_bridgeObjectRetain((void *)(uintptr_t)object_word) == object_word;
}
