/// A table's IPv4 routers, each stored once (as FIBs index next hops: a large table has few
/// distinct routers), so that an IPv4 record keeps a 16-bit next-hop index instead of the router's
/// four bytes (and fits in 16 bytes: `RouteKey`).
///
/// Readers find a slot as they find a record: chunks that never move, chunk k holding 16 << k
/// four-byte slots (`RouteRecords.place`), their pointers in the header's next-hop directory, each
/// stored once with release before any index in it is published and read with acquire. A slot is
/// written before any record naming it is published, never changed while a record names it, and
/// reused only after the same grace period as record ids (the records naming it could still be
/// read until then). The chunks are freed only with the table (`RouteTable.handOverAll`).
///
/// Index 0 means "no next-hop slot": a record without a router, or one whose router arrived while
/// every index was in use (it then sits in the record's extras block, `RouteExtras`).
enum NextHops {
    /// Indices run from 1 to this (a record's 16 bits).
    static let capacity: UInt32 = 0xffff
    /// Directory slots needed for `capacity` (chunk 12 holds indices 65,520 and up).
    static let directorySlots = 13

    @inline(__always)
    static func directorySlot(_ header: UnsafeMutableRawPointer, _ chunk: Int) -> UnsafeMutableRawPointer {
        header + (RouteTableHeader.nextHopDirectoryOffset &+ 8 &* chunk)
    }

    /// The router in slot `index` (which a reader got from a live record, so its chunk exists).
    @inline(__always)
    static func router(_ header: UnsafeMutableRawPointer, _ index: UInt32) -> UInt32 {
        let (chunk, offset) = RouteRecords.place(of: index)
        let base = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(directorySlot(header, chunk)))!
        return base.load(fromByteOffset: 4 &* offset, as: UInt32.self)
    }

    /// Writes `router` into slot `index`, first allocating and publishing its chunk if needed.
    static func store(_ router: UInt32, _ header: UnsafeMutableRawPointer, _ index: UInt32) {
        let (chunk, offset) = RouteRecords.place(of: index)
        let slot = directorySlot(header, chunk)
        if RawAtomic.loadWord(slot) == 0 {
            RawAtomic.storeWord(UInt(bitPattern: allocateBlock(4 * RouteRecords.chunkCapacity(chunk))), slot)
        }
        let base = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(slot))!
        base.storeBytes(of: router, toByteOffset: 4 * offset, as: UInt32.self)
    }

    /// Hands over every chunk (when the whole table goes).
    static func handOverAll(header: UnsafeMutableRawPointer, _ body: (UnsafeMutableRawPointer) -> Void) {
        for chunk in 0..<directorySlots {
            if let base = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(directorySlot(header, chunk))) { body(base) }
        }
    }
}

/// The writer's side of `NextHops`: which router holds which index, how many records name each,
/// and the indices freed, waiting for their grace period, or free to reuse.
struct NextHopInterner {
    private var indexOf: [UInt32: UInt16] = [:]
    /// Records naming each index (index 0 unused).
    private var references: [UInt32] = [0]
    private var free: [UInt16] = []
    /// Indices whose last record went since the last `startWait`, then those waiting after it.
    private var freed: [UInt16] = []
    private var awaitingGrace: [(index: UInt16, epoch: UInt)] = []
    /// The router interned last and its index (0: none), so that a run of routes via one gateway
    /// costs no hashing; cleared when that index is freed.
    private var last: (router: UInt32, index: UInt16) = (0, 0)

    /// The index of `router` for one more record, or 0 when every index is in use.
    mutating func intern(_ router: UInt32, header: UnsafeMutableRawPointer) -> UInt16 {
        if last.index != 0 && last.router == router {
            references[Int(last.index)] += 1
            return last.index
        }
        if let index = indexOf[router] {
            references[Int(index)] += 1
            last = (router, index)
            return index
        }
        let index: UInt16
        if let reused = free.popLast() {
            index = reused
        } else if references.count <= Int(NextHops.capacity) {
            index = UInt16(references.count)
            references.append(0)
        } else {
            return 0
        }
        NextHops.store(router, header, UInt32(index))
        indexOf[router] = index
        references[Int(index)] = 1
        last = (router, index)
        return index
    }

    /// One record naming `index` went; the last one's going starts the index's wait.
    mutating func release(_ index: UInt16, header: UnsafeMutableRawPointer) {
        references[Int(index)] -= 1
        guard references[Int(index)] == 0 else { return }
        if last.index == index { last = (0, 0) }
        indexOf[NextHops.router(header, UInt32(index))] = nil
        freed.append(index)
    }

    /// Starts the wait of the indices freed since the last call (`RouteTable.takeRetired`).
    mutating func startWait(epoch: UInt) {
        guard !freed.isEmpty else { return }
        for index in freed { awaitingGrace.append((index, epoch)) }
        freed.removeAll(keepingCapacity: true)
    }

    /// Makes the indices whose wait is over reusable (oldest first).
    mutating func reusePastTheirWait(now epoch: UInt) {
        guard !awaitingGrace.isEmpty else { return }
        let ready = awaitingGrace.prefix { ReadSection.isOver(sinceEpoch: $0.epoch, now: epoch) }.count
        guard ready > 0 else { return }
        for (index, _) in awaitingGrace[..<ready] { free.append(index) }
        awaitingGrace.removeFirst(ready)
    }

    /// Makes every freed index reusable at once: for a table no other thread reads.
    mutating func reuseAllNow() {
        free += freed
        for (index, _) in awaitingGrace { free.append(index) }
        freed.removeAll(keepingCapacity: true)
        awaitingGrace.removeAll(keepingCapacity: true)
    }
}
