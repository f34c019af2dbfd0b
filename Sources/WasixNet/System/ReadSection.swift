import CWasixNetSystem

/// Reads that never wait for a writer, and freeing that never waits for a reader: the read side
/// and the deferred reclamation of a read-copy-update scheme, as Linux's fib_trie and DPDK's
/// rte_lpm use for their readers (wasixnet.h [port.concurrency]).
///
/// A writer changes what readers see with one atomic store, of a new immutable table (or of one
/// slot inside a structure whose published parts are immutable), and hands what it unlinked to
/// `retire`; a reader, between `enter()` and `exit(_:)`, follows whatever is published without a
/// lock. A retired object is released once every read section that could have seen it has closed
/// (read_sections.c has the argument), from a later writer's retire or a port's free.
///
/// Why this and not reference-counted snapshots: taking a reference means an atomic increment and
/// decrement of one shared count on every lookup, and with two threads looking up on one port that
/// count's cache line would move between their cores twice a lookup, costing more than the
/// lookup (the per-port mutex this replaces lost throughput the same way). A read section writes
/// only a counter of its own thread's, with no locked instruction (read_sections.c: the writer
/// pays the barrier). Why per-thread counters and not per-CPU ones, which need no registration:
/// a thread can move to another CPU between choosing a counter and changing it, so a per-CPU
/// counter takes a locked read-modify-write at entry and at exit, and those two were a quarter of
/// a 1,000-route lookup (18.5 against 13.5-14.0 ns, issue 11). Why not hazard pointers: a reader
/// would publish every node it steps on, not one count a section. Why the writer never waits
/// for a grace period: waiting once per write, the abandoned first attempt at this (issue 11) made
/// a writer stall a whole scheduler slice whenever a reader was preempted inside its section, and
/// adds fell 10x; here a write only queues what it unlinked and checks, every few retires, whether
/// the readers in the way have left.
///
/// Rules: a read section takes no lock a writer holds (that is its promise), and is short: an open
/// section holds back the freeing of everything retired meanwhile, in every port. Sections nest.
enum ReadSection {
    /// Opens a read section; pass what it returns to `exit` to close it.
    @inline(__always)
    static func enter() -> UInt { CWasixNetSystem_read_enter() }

    @inline(__always)
    static func exit(_ token: UInt) { CWasixNetSystem_read_exit(token) }

    /// Runs `body` inside a read section.
    @inline(__always)
    static func reading<Result>(_ body: () -> Result) -> Result {
        let token = enter()
        defer { exit(token) }
        return body()
    }

    /// Calls `release(object)` once no read section can hold `object`: the caller has just made it
    /// unreachable for new readers. (If the queue cannot grow, the object is kept for good: a leak
    /// under memory exhaustion, never a use after free.)
    static func retire(_ object: UnsafeMutableRawPointer, release: @convention(c) (UnsafeMutableRawPointer?) -> Void) {
        _ = CWasixNetSystem_retire(object, release)
    }

    /// Frees `block` (from malloc) once no read section can hold it.
    static func retire(block: UnsafeMutableRawPointer) {
        retire(block, release: { $0.map { free($0) } })
    }

    /// The grace-period step count now, read after everything the caller unlinked before.
    static var epoch: UInt { UInt(CWasixNetSystem_read_epoch()) }

    /// Whether every read section that could see what was unlinked before `epoch` was read has
    /// closed, given the epoch `now` (read_sections.c says why it takes three steps).
    static func isOver(sinceEpoch epoch: UInt, now: UInt) -> Bool { now &- epoch >= UInt(CWasixNetSystem_EPOCHS_TO_SAFETY) }

    /// Releases everything retired so far if no read section is open anywhere.
    static func reclaimIfQuiescent() { CWasixNetSystem_reclaim_if_quiescent() }
}
