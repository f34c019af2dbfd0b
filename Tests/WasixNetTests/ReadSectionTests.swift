#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import WasixNet

/// Released objects of the tests below, by tag (the release callback is a C function pointer, so
/// it can only reach global state). `Locked`, not `Mutex`: ThreadSanitizer sees no order through
/// the prebuilt stdlib's Mutex (Locked.swift says why) and reports the set as raced.
private let releasedTags = Locked<Set<Int>>([])

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

/// Retires fillers until `tag` is released: true if that takes under 20 s. Other tests' readers
/// run meanwhile, and one preempted inside its section holds every release back for as long as
/// the scheduler keeps it off the CPU (on 2 busy cores, milliseconds), so the bound is time.
private func retireUntilReleased(_ tag: Int, fillersFrom first: Int) -> Bool {
    let start = monotonicSeconds()
    var filler = first
    while !isReleased(tag) && monotonicSeconds() - start < 20 {
        retireTagged(filler)
        filler += 1
        if filler % 1024 == 0 { sched_yield() }
    }
    return isReleased(tag)
}

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
            #expect(retireUntilReleased(tag, fillersFrom: 3_000_000))
        }

        /// On threads of their own (not the test pool's: the reader spins in its section until
        /// the writer is done, which must not wait for a pool thread).
        @Test func sectionsOnOtherThreadsHoldItBackToo() {
            let tag = 4_000_001
            let flags = Flags()
            runOnThreads([
                {
                    ReadSection.reading {
                        flags.inside.store(true, ordering: .releasing)
                        while !flags.leave.load(ordering: .acquiring) {}
                    }
                },
                {
                    while !flags.inside.load(ordering: .acquiring) {}
                    retireTagged(tag)
                    for filler in 0..<2000 { retireTagged(5_000_000 + filler) }
                    #expect(!isReleased(tag))
                    flags.leave.store(true, ordering: .releasing)
                },
            ])
            #expect(retireUntilReleased(tag, fillersFrom: 6_000_000))
        }

        /// Each reading thread counts on a slot of its own, made at its first section and freed
        /// when it exits: threads that read (nested sections too) and left hold nothing back,
        /// however many came. Under ASan (check-asan) a slot freed while still in the registry
        /// that writers walk is a use after free here.
        @Test func threadsThatReadAndLeftHoldNothingBack() {
            for round in 0..<4 {
                runOnThreads((0..<16).map { _ in
                    {
                        for _ in 0..<100 { ReadSection.reading { ReadSection.reading {} } }
                    }
                })
                let tag = 7_000_001 + round
                retireTagged(tag)
                #expect(retireUntilReleased(tag, fillersFrom: 8_000_000 + 100_000 * round))
            }
        }

        final class Flags: Sendable {
            let inside = Atomic<Bool>(false), leave = Atomic<Bool>(false)
        }
    }
}
