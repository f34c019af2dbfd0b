// Fuzz target: the canonical-ABI list<outgoing-datagram> decoder behind wasixnet_guest_udp_send,
// on a fake guest memory holding whatever the input says, sending for real over loopback.
//
// Input: a header (family, connected or not, check-send first or not, pointer size, list offset
// and length, memory size), then the memory image. Each run creates a socket bound on loopback:
// either streaming to a sink socket (connected: only datagrams to the sink are valid), or
// unconnected on a port that enforces routes with only 127.0.0.1/32 and ::1/128, where every
// loopback address in the list has its port rewritten to the sink's (port 0 stays, to stay
// invalid) — so whatever the input, no datagram can leave the sink's socket.
//
// Checks, beyond "no crash, no ASan report": the call never writes guest memory; a list, data
// range or tag the canonical ABI would trap on is WASIXNET_SOCK_TRAP (wasixnet.h [udp.guest-send]), and so is
// a send beyond the grant; pointer size 8 is NOT_SUPPORTED; `sent` never exceeds the datagrams
// the rules allow; and the sink receives exactly the first `sent` datagrams, byte for byte, in
// order — nothing reported sent that was not, nothing sent twice.
//
// Build and run: `make fuzz` (sanitize.mk). Reproduce: `.build-fuzz/release/FuzzGuestDatagramList crash-…`.
#if canImport(Glibc)
import Glibc
#endif
import CWasixNet
import WasixNetABI
import FuzzSupport

func violated(_ message: @autoclosure () -> String) -> Never {
    fatalError("contract violated: \(message())")
}

/// A plain socket on loopback that receives everything the target sends (one per family).
struct Sink {
    let fd: Int32
    let port: UInt16

    init(family: Int32) {
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { violated("sink socket: errno \(errno)") }
        var size: Int32 = 64 << 20
        // As root the limit does not apply; otherwise take what rmem_max gives.
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, 4) != 0 { _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4) }
        var storage = sockaddr_storage()
        var length: socklen_t
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0[15] = 1 }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
        }
        let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { violated("sink bind: errno \(errno)") }
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    /// Datagrams waiting now or within `timeout` ms until `count` have come; then what else is
    /// queued without waiting.
    func drain(expecting count: Int, timeout: Int32 = 1000) -> [[UInt8]] {
        var received: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let length = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if length >= 0 {
                received.append(Array(buffer[0..<length]))
                continue
            }
            guard received.count < count else { return received }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, timeout) <= 0 { return received }
        }
    }
}

nonisolated(unsafe) var sinks: (v4: Sink, v6: Sink)?
nonisolated(unsafe) var enforcingPort: OpaquePointer?

/// The shared sinks and the route-enforcing port, made on first use.
func setUp() -> (Sink, Sink, OpaquePointer) {
    if let sinks, let enforcingPort { return (sinks.v4, sinks.v6, enforcingPort) }
    let made = (v4: Sink(family: AF_INET), v6: Sink(family: AF_INET6))
    sinks = made
    var config = wasixnet_port_config_t()
    config.struct_size = UInt32(MemoryLayout<wasixnet_port_config_t>.size)
    config.flags = WASIXNET_PORT_ENFORCE_ROUTES
    var port: OpaquePointer?
    guard wasixnet_port_new(&config, &port) == 0 else { violated("port_new") }
    // On-link routes to the two loopback hosts only.
    var none = wasixnet_option_timestamp_t()
    var unspecified = wasixnet_addr_t()
    var v4 = wasixnet_addr_cidr_t()
    withUnsafeMutableBytes(of: &v4) { $0[0] = 1; $0[2] = 127; $0[5] = 1; $0[6] = 32 }
    var v6 = wasixnet_addr_cidr_t()
    withUnsafeMutableBytes(of: &v6) { $0[0] = 2; $0[17] = 1; $0[26] = 128 }
    guard wasixnet_port_route_add(port, &v4, &unspecified, &none, &none) == 0,
          wasixnet_port_route_add(port, &v6, &unspecified, &none, &none) == 0 else { violated("route_add") }
    enforcingPort = port
    return (made.v4, made.v6, port!)
}

let stride = 44

func load32(_ base: UnsafeMutablePointer<UInt8>, _ offset: Int) -> UInt32 {
    UnsafeRawPointer(base + offset).loadUnaligned(as: UInt32.self)
}

@c(LLVMFuzzerTestOneInput)
public func fuzzGuestDatagramList(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let (sink4, sink6, port) = setUp()
    var input = FuzzInput(data, size)
    let flags = input.u8()
    let family: UInt8 = flags & 1
    let connected = flags & 2 != 0
    let checkSendFirst = flags & 4 == 0
    let pointerSize: UInt8 = switch flags >> 3 & 3 {
    case 0, 1: 4
    case 2: 8
    default: input.u8()
    }
    let rewriteToSink = flags & 0x20 != 0
    let sink = family == 0 ? sink4 : sink6
    let memorySize = Int(input.u16()) % 8193
    let listPointer: UInt64 = switch input.u8() & 7 {
    case 0...4: UInt64(input.u16()) % UInt64(memorySize + 64)
    case 5: UInt64(memorySize) &- UInt64(input.u8())
    case 6: UInt64.max &- UInt64(input.u8())
    default: input.u64()
    }
    let listLength: UInt64 = switch input.u8() & 7 {
    case 0...5: UInt64(input.u8() % 48)
    case 6: 1024 + UInt64(input.u8() % 4)
    default: input.u64()
    }

    // Whatever earlier runs left in the sinks was sent without being reported.
    for leftover in [sink4, sink6] where !leftover.drain(expecting: 0, timeout: 0).isEmpty {
        violated("a datagram reached the sink after its send had been counted")
    }

    let memory: UnsafeMutablePointer<UInt8>? = memorySize == 0 && flags & 0x40 != 0 ? nil : .allocate(capacity: max(memorySize, 1))
    defer { memory?.deallocate() }
    if let memory { input.copy(into: memory, count: memorySize) }
    let inList = listLength <= UInt64(Int.max / stride)
        && !UInt64(listPointer).addingReportingOverflow(listLength * UInt64(stride)).overflow
        && listPointer + listLength * UInt64(stride) <= UInt64(memorySize)

    // Keep every datagram on loopback: loopback ports become the sink's; optionally every
    // address of the socket's family becomes the sink (to reach the send path often).
    if inList, let memory {
        for index in 0..<Int(listLength) {
            let element = memory + Int(listPointer) + index * stride
            guard element[8] == 1, element[12] == family else { continue }
            if rewriteToSink && element[13] & 1 == 0 {
                let address = loopbackAddress(family, port: sink.port)
                withUnsafeBytes(of: address) { for byte in 0..<32 { element[12 + byte] = $0[byte] } }
                continue
            }
            let isLoopback = family == 0
                ? element[18] == 127 && element[19] == 0 && element[20] == 0 && element[21] == 1
                : (0..<7).allSatisfy { element[24 + 2 * $0] == 0 && element[25 + 2 * $0] == 0 } && element[38] == 1 && element[39] == 0
            let port = UInt16(element[16]) | UInt16(element[17]) << 8
            if isLoopback && port != 0 {
                element[16] = UInt8(sink.port & 0xff)
                element[17] = UInt8(sink.port >> 8)
            }
        }
    }

    // The socket: bound on loopback, streaming to the sink or to anyone.
    var socket: OpaquePointer?
    guard wasixnet_udp_create(connected ? nil : port, family, &socket) == 0, let socket else { violated("udp_create") }
    defer { wasixnet_udp_free(socket) }
    var local = loopbackAddress(family, port: 0)
    guard wasixnet_udp_start_bind(socket, &local) == 0, wasixnet_udp_finish_bind(socket) == 0 else { violated("bind") }
    var peer = loopbackAddress(family, port: sink.port)
    guard (connected ? wasixnet_udp_stream(socket, &peer) : wasixnet_udp_stream(socket, nil)) == 0 else { violated("stream") }
    var permits: UInt64 = 0
    if checkSendFirst { guard wasixnet_udp_check_send(socket, &permits) == 0 else { violated("check_send") } }

    // What lifting the list must find, computed here from the bytes.
    var liftTraps = !inList
    var expectedValid = 0, firstError: wasixnet_sock_status_t?
    if inList, let memory {
        for index in 0..<Int(listLength) {
            let element = memory + Int(listPointer) + index * stride
            let dataOffset = UInt64(load32(element, 0)), dataLength = UInt64(load32(element, 4))
            if dataOffset + dataLength > UInt64(memorySize) || element[8] > 1 || (element[8] == 1 && element[12] > 1) {
                liftTraps = true
                break
            }
        }
        if !liftTraps {
            for index in 0..<Int(listLength) {
                let element = memory + Int(listPointer) + index * stride
                let error = validity(element, family: family, connected: connected, peer: peer)
                if let error {
                    firstError = error
                    break
                }
                expectedValid += 1
            }
        }
    }

    let snapshot = memory.map { Array(UnsafeBufferPointer(start: $0, count: memorySize)) } ?? []
    var guest = wasixnet_guest_t()
    guest.memory = memory
    guest.memory_size = UInt64(memorySize)
    guest.pointer_size = pointerSize
    guest.layout = input.u8()  // plays no part in this call
    var sent: UInt64 = 0xdead
    let status = wasixnet_guest_udp_send(socket, &guest, listPointer, listLength, &sent)

    if let memory, !snapshot.elementsEqual(UnsafeBufferPointer(start: memory, count: memorySize)) {
        violated("guest_udp_send wrote guest memory")
    }
    if pointerSize != 4 {
        let expected = pointerSize == 8 ? WASIXNET_SOCK_E_NOT_SUPPORTED : WASIXNET_SOCK_E_INVALID_ARGUMENT
        if status != expected { violated("pointer size \(pointerSize) answered \(status)") }
        return 0
    }
    let grantExceeded = listLength > 0 && listLength > permits
    if liftTraps || grantExceeded {
        if status != WASIXNET_SOCK_TRAP { violated("expected a trap (lift \(liftTraps), grant \(grantExceeded)), got \(status)") }
        return 0
    }
    if status == WASIXNET_SOCK_TRAP { violated("trapped on a list that lifts, within the grant") }
    let reported = status == WASIXNET_SOCK_OK ? Int(sent) : 0
    if status != WASIXNET_SOCK_OK {
        if status < 1 || status > 21 { violated("status \(status) is no error code") }
        if expectedValid == 0, let firstError, status != firstError {
            violated("first datagram invalid: expected \(firstError), got \(status)")
        }
    } else if reported > expectedValid {
        violated("reported \(reported) sent, only \(expectedValid) valid")
    }
    // Fewer than expectedValid is allowed: the kernel may refuse a datagram (an IPv6 scope id
    // that names no interface, say), and what went before it still counts.
    let arrived = sink.drain(expecting: reported)
    if arrived.count != reported { violated("reported \(reported) sent, the sink received \(arrived.count)") }
    if let memory {
        for (index, bytes) in arrived.enumerated() {
            let element = memory + Int(listPointer) + index * stride
            let payload = UnsafeBufferPointer(start: memory + Int(load32(element, 0)), count: Int(load32(element, 4)))
            if !bytes.elementsEqual(payload) { violated("datagram \(index) arrived with other bytes") }
        }
    }
    return 0
}

/// The statuses `validity` answers (the header's error codes are C enum constants, `Int` in Swift).
let invalidArgument = wasixnet_sock_status_t(WASIXNET_SOCK_E_INVALID_ARGUMENT)
let remoteUnreachable = wasixnet_sock_status_t(WASIXNET_SOCK_E_REMOTE_UNREACHABLE)

/// The error that makes a lifted element invalid to send (wasixnet.h [udp.send]'s order), or nil.
func validity(_ element: UnsafeMutablePointer<UInt8>, family: UInt8, connected: Bool,
              peer: wasixnet_ip_socket_address_t) -> wasixnet_sock_status_t? {
    if element[8] == 0 { return connected ? nil : invalidArgument }
    let address = element + 12
    if connected {
        // Every field must match the peer: the port @4, then the IPv4 address @6..10, or the
        // IPv6 flow info, address and scope id @8..32 (bytes 6 and 7 are padding there).
        let fields = family == 0 ? Array(4..<10) : [4, 5] + Array(8..<32)
        let same = withUnsafeBytes(of: peer) { raw in
            address[0] == raw[0] && fields.allSatisfy { address[$0] == raw[$0] }
        }
        return same ? nil : invalidArgument
    }
    guard address[0] == family else { return invalidArgument }
    let port = UInt16(address[4]) | UInt16(address[5]) << 8
    if family == 0 {
        let ip = (6..<10).map { address[$0] }
        if ip == [0, 0, 0, 0] || port == 0 { return invalidArgument }
        return ip == [127, 0, 0, 1] ? nil : remoteUnreachable
    }
    let groups = (0..<8).map { UInt16(address[12 + 2 * $0]) | UInt16(address[13 + 2 * $0]) << 8 }
    let mapped = groups[0..<5].allSatisfy { $0 == 0 } && groups[5] == 0xffff
    if mapped || groups.allSatisfy({ $0 == 0 }) || port == 0 { return invalidArgument }
    return groups == [0, 0, 0, 0, 0, 0, 0, 1] ? nil : remoteUnreachable
}
