import CWasixNetSystem

/// Names a route or own prefix across both families: the family in bit 31, the record's index
/// within its family below (index 0 is never used, so the raw value 0 names nothing).
struct RouteID: Hashable {
    static let v6Bit: UInt32 = 1 << 31
    static let none = RouteID(raw: 0)
    let raw: UInt32
    init(raw: UInt32) { self.raw = raw }
    init(_ family: IPAddress.Family, _ index: UInt32) { raw = family == .v6 ? index | Self.v6Bit : index }
    var family: IPAddress.Family { raw & Self.v6Bit != 0 ? .v6 : .v4 }
    var index: UInt32 { raw & ~Self.v6Bit }
}

/// What a record is and has (the byte above its prefix length).
struct RecordFlags: OptionSet {
    let rawValue: UInt32
    /// An explicit route (else an own, on-link prefix).
    static let route = RecordFlags(rawValue: 1)
    static let router = RecordFlags(rawValue: 2)
    /// Lifetimes or IPv6 flow infos and scope ids sit in an extras block (`RouteExtras`).
    static let extras = RecordFlags(rawValue: 4)
}

/// Where a family's records live: chunks that never move, chunk k holding 16 << k records, so a
/// small table allocates little and a record's address never changes while it lives. The chunk
/// pointers sit in the header's directory (32 slots: far more records than an index can name),
/// each stored once, before any id that needs it is published, and read with acquire.
///
/// A record is written before its id is published (in the trie or the list) and never changed
/// while reachable, except its list link `next` (atomic). A freed index is reused only after a
/// grace period (`RouteTable.takeRetired`, then `reuseIDsPastTheirWait`), when no reader can still hold it.
///
/// Each chunk starts with one word: the address of its extras array (0 until a record of the
/// chunk has extras), one word per record pointing at that record's `RouteExtras` block.
enum RouteRecords {
    static let firstChunkRecords = 16
    static let chunkHeader = 8
    /// Indices stay below this: a trie element names a record in 24 bits (`RouteElement`).
    static let maxIndex: UInt32 = RouteElement.indexLimit

    @inline(__always)
    static func place(of index: UInt32) -> (chunk: Int, offset: Int) {
        let shifted = Int(index) &+ firstChunkRecords
        let chunk = (Int.bitWidth &- 1 &- shifted.leadingZeroBitCount) &- 4
        return (chunk, shifted &- (firstChunkRecords &<< chunk))
    }

    @inline(__always)
    static func chunkCapacity(_ chunk: Int) -> Int { firstChunkRecords << chunk }

    @inline(__always)
    static func directorySlot<Key: RouteKey>(_ header: UnsafeMutableRawPointer, _: Key.Type, _ chunk: Int) -> UnsafeMutableRawPointer {
        header + RouteTableHeader.directoryOffset(Key.familyIndex) + 8 &* chunk
    }

    /// The record at `index` (which a reader got from the table, so its chunk exists).
    @inline(__always)
    static func record<Key: RouteKey>(_ header: UnsafeMutableRawPointer, _ key: Key.Type, _ index: UInt32) -> UnsafeMutableRawPointer {
        let (chunk, offset) = place(of: index)
        let base = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(directorySlot(header, key, chunk)))!
        return base + (chunkHeader &+ offset &* Key.recordStride)
    }

    /// The slot of the extras array for `index`, or nil when its chunk has none.
    @inline(__always)
    static func extrasSlot<Key: RouteKey>(_ header: UnsafeMutableRawPointer, _ key: Key.Type, _ index: UInt32) -> UnsafeMutableRawPointer? {
        let (chunk, offset) = place(of: index)
        let base = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(directorySlot(header, key, chunk)))!
        guard let array = UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(base)) else { return nil }
        return array + 8 &* offset
    }

    /// A record's extras block, if it has one. A slot whose low bit is set holds a block already
    /// retired (its record was freed; the block stays readable until the grace period ends).
    @inline(__always)
    static func extras<Key: RouteKey>(_ header: UnsafeMutableRawPointer, _ key: Key.Type, _ index: UInt32) -> UnsafeMutableRawPointer? {
        guard let slot = extrasSlot(header, key, index) else { return nil }
        return UnsafeMutableRawPointer(bitPattern: RawAtomic.loadWord(slot) & ~1)
    }

    // MARK: Fields

    @inline(__always)
    static func destination<Key: RouteKey>(_ record: UnsafeMutableRawPointer, _: Key.Type) -> Key { Key.loadAddress(record) }

    /// The router of a record flagged `.router`: in the record (IPv6), else in its next-hop slot,
    /// or (index 0: every slot was in use when it was added) in its extras block.
    @inline(__always)
    static func router<Key: RouteKey>(_ header: UnsafeMutableRawPointer, _ record: UnsafeMutableRawPointer, _ key: Key.Type,
                                      _ extras: RouteExtras) -> Key {
        if Key.routerInRecord { return Key.loadAddress(record + Key.bitWidth / 8) }
        let hop = nextHop(record, key)
        return Key(truncatingIfNeeded: hop != 0 ? NextHops.router(header, hop) : extras.fallbackRouter)
    }

    /// The record's next-hop index (`NextHops`; 0: none, and always 0 for IPv6).
    @inline(__always)
    static func nextHop<Key: RouteKey>(_ record: UnsafeMutableRawPointer, _: Key.Type) -> UInt32 {
        record.load(fromByteOffset: Key.lengthOffset, as: UInt32.self) >> 16
    }

    @inline(__always)
    static func prefixLength<Key: RouteKey>(_ record: UnsafeMutableRawPointer, _: Key.Type) -> Int {
        Int(record.load(fromByteOffset: Key.lengthOffset, as: UInt32.self) & 0xff)
    }

    @inline(__always)
    static func flags<Key: RouteKey>(_ record: UnsafeMutableRawPointer, _: Key.Type) -> RecordFlags {
        RecordFlags(rawValue: record.load(fromByteOffset: Key.lengthOffset, as: UInt32.self) >> 8 & 0xff)
    }

    @inline(__always)
    static func next<Key: RouteKey>(_ record: UnsafeMutableRawPointer, _: Key.Type) -> RouteID {
        RouteID(raw: RawAtomic.load32(record + Key.nextOffset))
    }

    /// The route a record stands for, when it has nothing beyond a `PlainRoute` to say (no extras
    /// block: no lifetime, flow info or scope id, and an IPv4 router in its next-hop slot).
    @inline(__always)
    static func plainRoute<Key: RouteKey>(_ header: UnsafeMutableRawPointer, _ key: Key.Type, _ index: UInt32) -> PlainLookup {
        let record = record(header, key, index)
        let flags = flags(record, key)
        // No extras: an IPv4 router is in its next-hop slot (one without a slot is in the extras).
        guard !flags.contains(.extras) else { return .needsFullAnswer }
        return .found(PlainRoute(family: Key.family, prefixLength: UInt8(truncatingIfNeeded: prefixLength(record, key)),
                                 destination: UInt128(destination(record, key)),
                                 router: flags.contains(.router) ? UInt128(router(header, record, key, RouteExtras())) : nil))
    }

    /// The route a record stands for, as a guest sees it.
    static func route<Key: RouteKey>(_ header: UnsafeMutableRawPointer, _ key: Key.Type, _ index: UInt32) -> Route {
        let record = record(header, key, index)
        let flags = flags(record, key)
        let family = Key.family
        let extras = flags.contains(.extras) ? RouteExtras(extras(header, key, index)) : RouteExtras()
        return Route(
            destination: CIDR(ScopedAddress(IPAddress(family: family, bits: UInt128(destination(record, key))),
                                            flowInfo: extras.destinationFlowInfo, scopeID: extras.destinationScopeID),
                              prefixLength: UInt8(prefixLength(record, key))),
            router: flags.contains(.router)
                ? ScopedAddress(IPAddress(family: family, bits: UInt128(router(header, record, key, extras))),
                                flowInfo: extras.routerFlowInfo, scopeID: extras.routerScopeID)
                : nil,
            preferredUntil: extras.preferredUntil, expiresAt: extras.expiresAt)
    }
}

/// What few records have — lifetimes, IPv6 flow infos and scope ids, an IPv4 router that found
/// no next-hop slot — kept in a 40-byte block of its own (written once, before the record is
/// published): preferred_until at 0, expires_at at 8, the destination's flow info and scope id at
/// 16 and 20, the router's at 24 and 28, which timestamps are present at 32 (bit 0
/// preferred_until, bit 1 expires_at), and the IPv4 router at 36 (`NextHops`: only when its
/// record's next-hop index is 0).
struct RouteExtras {
    static let size = 40
    var preferredUntil: UInt64?
    var expiresAt: UInt64?
    var destinationFlowInfo: UInt32 = 0, destinationScopeID: UInt32 = 0
    var routerFlowInfo: UInt32 = 0, routerScopeID: UInt32 = 0
    var fallbackRouter: UInt32 = 0

    init() {}

    init(_ block: UnsafeMutableRawPointer?) {
        guard let block else { return }
        let present = block.load(fromByteOffset: 32, as: UInt32.self)
        preferredUntil = present & 1 != 0 ? block.load(as: UInt64.self) : nil
        expiresAt = present & 2 != 0 ? block.load(fromByteOffset: 8, as: UInt64.self) : nil
        destinationFlowInfo = block.load(fromByteOffset: 16, as: UInt32.self)
        destinationScopeID = block.load(fromByteOffset: 20, as: UInt32.self)
        routerFlowInfo = block.load(fromByteOffset: 24, as: UInt32.self)
        routerScopeID = block.load(fromByteOffset: 28, as: UInt32.self)
        fallbackRouter = block.load(fromByteOffset: 36, as: UInt32.self)
    }

    /// Of `route`, what goes beside its record (IPv4 has no flow info or scope id to keep).
    init(_ route: Route) {
        preferredUntil = route.preferredUntil
        expiresAt = route.expiresAt
        if route.destination.address.ip.family == .v6 {
            destinationFlowInfo = route.destination.address.flowInfo
            destinationScopeID = route.destination.address.scopeID
            routerFlowInfo = route.router?.flowInfo ?? 0
            routerScopeID = route.router?.scopeID ?? 0
        }
    }

    var isEmpty: Bool {
        preferredUntil == nil && expiresAt == nil && destinationFlowInfo == 0 && destinationScopeID == 0
            && routerFlowInfo == 0 && routerScopeID == 0 && fallbackRouter == 0
    }

    func allocateBlock() -> UnsafeMutableRawPointer {
        let block = WasixNet.allocateBlock(Self.size)
        block.storeBytes(of: preferredUntil ?? 0, as: UInt64.self)
        block.storeBytes(of: expiresAt ?? 0, toByteOffset: 8, as: UInt64.self)
        block.storeBytes(of: destinationFlowInfo, toByteOffset: 16, as: UInt32.self)
        block.storeBytes(of: destinationScopeID, toByteOffset: 20, as: UInt32.self)
        block.storeBytes(of: routerFlowInfo, toByteOffset: 24, as: UInt32.self)
        block.storeBytes(of: routerScopeID, toByteOffset: 28, as: UInt32.self)
        let present: UInt32 = (preferredUntil != nil ? 1 : 0) | (expiresAt != nil ? 2 : 0)
        block.storeBytes(of: present, toByteOffset: 32, as: UInt32.self)
        block.storeBytes(of: fallbackRouter, toByteOffset: 36, as: UInt32.self)
        return block
    }
}
