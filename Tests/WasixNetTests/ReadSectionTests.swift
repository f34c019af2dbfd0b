import Synchronization
import Testing
@testable import WasixNet

/// Released objects of the tests below, by tag (the release callback is a C function pointer, so
/// it can only reach global state).
private let releasedTags = Mutex<Set<Int>>([])

private func releaseTagged(_ object: UnsafeMutableRawPointer?) {
    guard let object else { return }
    let tag = object.load(as: Int.self)
    releasedTags.withLock { _ = $0.insert(tag) }
    object.deallocate()
}

private func retireTagged(_ tag: Int) {
    let object = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<Int>.size, alignment: MemoryLayout<Int>.alignment)
    object.storeBytes(of: tag, as: Int.self)
    ReadSection.retire(object, release: { releaseTagged($0) })
}

private func isReleased(_ tag: Int) -> Bool { releasedTags.withLock { $0.contains(tag) } }

extension Concurrent {
    /// The deferred reclamation behind lock-free reads (ReadSection.swift, read_sections.c): what a
    /// writer retires is never released while a read section that began before it is open, and is
    /// released once that section has closed and later writes have come. The retire queue is
    /// process-wide, so these run in the concurrent suite, beside other tests' ports.
    @Suite struct ReadSectionTests {
        @Test func retiredObjectOutlivesAnOpenSectionAndGoesAfter() {
            let tag = 1_000_001
            let token = ReadSection.enter()
            retireTagged(tag)
            // However many later retires try to move the epoch on, the open section holds it back.
            for filler in 0..<2000 { retireTagged(2_000_000 + filler) }
            #expect(!isReleased(tag))
            ReadSection.exit(token)
            var retires = 0
            while !isReleased(tag) && retires < 100_000 {
                retireTagged(3_000_000 + retires)
                retires += 1
            }
            #expect(isReleased(tag))
            // Three flips after the section closed; other tests' sections may stretch it a little.
            #expect(retires < 10_000)
        }

        @Test func sectionsOnOtherThreadsHoldItBackToo() async {
            let tag = 4_000_001
            let flags = Flags()
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    ReadSection.reading {
                        flags.inside.store(true, ordering: .releasing)
                        while !flags.leave.load(ordering: .acquiring) {}
                    }
                }
                group.addTask {
                    while !flags.inside.load(ordering: .acquiring) { await Task.yield() }
                    retireTagged(tag)
                    for filler in 0..<2000 { retireTagged(5_000_000 + filler) }
                    #expect(!isReleased(tag))
                    flags.leave.store(true, ordering: .releasing)
                }
            }
            var retires = 0
            while !isReleased(tag) && retires < 100_000 {
                retireTagged(6_000_000 + retires)
                retires += 1
            }
            #expect(isReleased(tag))
        }

        final class Flags: Sendable {
            let inside = Atomic<Bool>(false), leave = Atomic<Bool>(false)
        }
    }
}
