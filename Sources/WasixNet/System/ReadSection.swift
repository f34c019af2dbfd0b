import CWasixNetSystem

/// Reads that never wait for a writer, and the one wait that makes freeing safe: the read side
/// of a read-copy-update scheme, as Linux's fib_trie and DPDK's rte_lpm readers use (wasixnet.h
/// [port.concurrency]).
///
/// A writer publishes a new immutable table with one atomic store; a reader, between `enter()`
/// and `exit(_:)`, loads whatever table is published and uses it without a lock. Before a
/// writer frees (or reuses) a table it replaced, it calls `waitForReaders()`, which returns once
/// every read section open at the call has closed: no reader can still hold the old table.
///
/// Why this and not reference-counted snapshots: taking a reference means an atomic increment
/// and decrement of the snapshot's count on every lookup, and with two threads looking up on
/// one port that count's cache line moves between their cores twice a lookup, which costs more
/// than the lookup (the per-port mutex this replaces lost throughput the same way). A read
/// section writes only a counter of the reader's own CPU, so readers on different CPUs share no
/// written line. The price is on the writer's side: each write waits for the reads in flight
/// (a lookup's worth of time), which the port's writers can afford. Why not per-port counters:
/// they would cost every port a cache line per CPU; these are shared by all ports, in static
/// storage (read_sections.c).
///
/// Rules: a read section must not call `waitForReaders()` (it would wait for itself), nor
/// anything that may (a port's writes), nor the embedder's clock or hooks.
enum ReadSection {
    /// Opens a read section; pass what it returns to `exit` to close it.
    @inline(__always)
    static func enter() -> UInt32 { CWasixNetSystem_read_enter() }

    @inline(__always)
    static func exit(_ token: UInt32) { CWasixNetSystem_read_exit(token) }

    static func waitForReaders() { CWasixNetSystem_wait_for_readers() }
}
