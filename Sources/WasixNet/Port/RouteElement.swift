/// What a trie node keeps for each prefix it holds, and a leaf for its lone prefix (`RouteTrie`):
/// the index of the prefix's record in the low 24 bits and, in the top byte, what a lookup may
/// answer without reading that record.
///
/// Why: in a table larger than the cache, the record is one more dependent miss after the trie's
/// last node, and nearly every lookup reads it only to learn what the node already implies (the
/// prefix's length is where it sits, its network is the looked-up address cut to that length) and
/// the router. Answered from the node, an IPv4 lookup of 1M routes went from 0.54-0.57 to
/// 0.38-0.39 of the one-bit trie's time (make bench, paired, 3 alternating runs; issue 11). The
/// byte says:
///   0        read the record: the route has lifetimes, flow infos or scope ids (an extras block),
///            or a router the byte cannot name (IPv6, or an IPv4 next hop past `maxInlineHop`);
///   1        nothing more: no router, no extras (own prefixes, on-link routes);
///   2...255  no extras, and the router is the IPv4 next hop `answer - 1` (`NextHops`).
/// A record never changes while reachable, nor a next-hop slot while a record names it, so an
/// element copied into any node a reader can hold says the same as the record it names.
///
/// The price is the index's width: 2^24 - 1 records a family (every /24 of IPv4's space; a full
/// internet table is about 1M), which the table enforces as ENOMEM (`RouteTable`).
struct RouteElement: Equatable {
    let raw: UInt32

    static let indexBits = 24
    /// Record indices run from 1 to below this (0 names nothing).
    static let indexLimit: UInt32 = 1 << 24
    static let askTheRecord: UInt32 = 0
    static let noRouter: UInt32 = 1
    /// The highest next-hop index an element names (its answer is 255).
    static let maxInlineHop: UInt32 = 254

    @inline(__always) init(raw: UInt32) { self.raw = raw }

    @inline(__always) var recordIndex: UInt32 { raw & (Self.indexLimit &- 1) }
    @inline(__always) var answer: UInt32 { raw &>> UInt32(Self.indexBits) }

    /// The element for record `index` of a table (the writer's, once the record is written).
    static func of<Key: RouteKey>(record index: UInt32, header: UnsafeMutableRawPointer, _: Key.Type) -> RouteElement {
        let record = RouteRecords.record(header, Key.self, index)
        let flags = RouteRecords.flags(record, Key.self)
        var answer = askTheRecord
        if !flags.contains(.extras) {
            if !flags.contains(.router) {
                answer = noRouter
            } else if !Key.routerInRecord {
                let hop = RouteRecords.nextHop(record, Key.self)
                if hop != 0 && hop <= maxInlineHop { answer = hop + 1 }
            }
        }
        return RouteElement(raw: index | answer << UInt32(indexBits))
    }
}
