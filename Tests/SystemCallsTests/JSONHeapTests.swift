import CLinux
import Testing

/// json-c's heap in the static agent (Sources/CLinux/JSONHeap.c): every block keeps its bytes
/// until freed, realloc keeps the contents, and once everything is freed no more than one slab
/// per block size is left mapped — the memory of a huge request goes back to the kernel.
@Suite("CLinux: json-c's heap", .serialized)
struct JSONHeapTests {
    /// A deterministic generator, so a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    private func fill(_ pointer: UnsafeMutableRawPointer, _ count: Int, _ seed: UInt8) {
        for index in 0..<count { pointer.storeBytes(of: seed &+ UInt8(truncatingIfNeeded: index), toByteOffset: index, as: UInt8.self) }
    }

    private func holds(_ pointer: UnsafeMutableRawPointer, _ count: Int, _ seed: UInt8) -> Bool {
        (0..<count).allSatisfy { pointer.load(fromByteOffset: $0, as: UInt8.self) == seed &+ UInt8(truncatingIfNeeded: $0) }
    }

    @Test(arguments: [1, 2, 3])
    func randomAllocationsKeepTheirBytesAndGiveEverythingBack(seed: UInt64) {
        var random = Generator(state: seed)
        var live: [(pointer: UnsafeMutableRawPointer, size: Int, tag: UInt8)] = []
        for step in 0..<60_000 {
            let action = random.next(10)
            if action < 5 || live.isEmpty {
                // Mostly json-c's sizes (objects, short strings), now and then a large block.
                let size = random.next(20) == 0 ? 300 + random.next(5000) : 1 + random.next(240)
                let pointer = random.next(2) == 0 ? clinux_json_malloc(size)! : clinux_json_calloc(1, size)!
                #expect(Int(bitPattern: pointer) % 16 == 0)
                let tag = UInt8(truncatingIfNeeded: step)
                fill(pointer, size, tag)
                live.append((pointer, size, tag))
            } else if action < 8 {
                let index = random.next(live.count)
                #expect(holds(live[index].pointer, live[index].size, live[index].tag))
                clinux_json_free(live[index].pointer)
                live.swapAt(index, live.count - 1)
                live.removeLast()
            } else {
                let index = random.next(live.count)
                let newSize = 1 + random.next(random.next(10) == 0 ? 4000 : 250)
                let kept = min(newSize, live[index].size)
                let moved = clinux_json_realloc(live[index].pointer, newSize)!
                #expect(holds(moved, kept, live[index].tag))
                fill(moved, newSize, live[index].tag)
                live[index] = (moved, newSize, live[index].tag)
            }
        }
        for block in live {
            #expect(holds(block.pointer, block.size, block.tag))
            clinux_json_free(block.pointer)
        }
        // At most one slab of each of the 16 block sizes stays mapped.
        #expect(clinux_json_heap_slabs() <= 16)
    }

    @Test func aMillionSmallBlocksFreedLeaveAtMostOneSlabPerSize() {
        let before = clinux_json_heap_slabs()
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(1_000_000)
        for index in 0..<1_000_000 { blocks.append(clinux_json_malloc(24 + index % 3 * 16)!) }
        #expect(clinux_json_heap_slabs() > 1000)
        for block in blocks { clinux_json_free(block) }
        #expect(clinux_json_heap_slabs() <= max(before, 16))
    }

    @Test func stringsAndZeroSizesBehaveAsTheCLibrarysDo() {
        let copy = clinux_json_strdup("guest-ping")!
        #expect(String(cString: copy) == "guest-ping")
        clinux_json_free(copy)
        clinux_json_free(nil)
        #expect(clinux_json_realloc(clinux_json_malloc(8), 0) == nil)
        #expect(clinux_json_calloc(Int.max, 2) == nil)
        let zeroed = clinux_json_calloc(10, 20)!.assumingMemoryBound(to: UInt8.self)
        #expect((0..<200).allSatisfy { zeroed[$0] == 0 })
        clinux_json_free(zeroed)
    }
}
