// Fuzz target: wasixnet_guest_udp_receive over real loopback traffic, with a guest cabi_realloc
// that does whatever the input says on each call: allocate (bump), grow the memory first (to a
// new block: the old one is freed, so a stale host address is an ASan report), fail
// (UINT64_MAX), answer a block out of bounds, misaligned, or any number at all.
//
// Input: a header (family, socket state, pointer size, memory size and fill, return pointer,
// max_results), the datagrams a sender sends first (lengths; runs of one length are coalesced by
// GSO and GRO), then one realloc action per call.
//
// Checks, beyond "no crash, no ASan report": only the bytes the canonical ABI stores are written
// (wasixnet.h [udp.guest-receive]): the result's discriminant and fields, and inside blocks the
// realloc answered, each element's fields and each datagram's bytes; padding never. The status
// is what the rules say: NOT_SUPPORTED / INVALID_ARGUMENT for the pointer sizes, TRAP exactly when
// the return pointer or a realloc answer breaks a rule (and realloc is then called no more), err
// with OK before stream. On OK the list holds the first datagrams sent, in order, byte for byte,
// with the sender's address; and afterwards the socket still works for the host: what it hands
// out is the rest, in order, never one twice.
//
// Build and run: `make fuzz` (sanitize.mk). Reproduce: `.build-fuzz/release/FuzzGuestDatagramReceive crash-…`.
#if canImport(Glibc)
import Glibc
#endif
import CWasixNet
import WasixNetABI
import FuzzSupport

func violated(_ message: @autoclosure () -> String) -> Never {
    fatalError("contract violated: \(message())")
}

enum Lowering {
    static let elementSize = Int(WASIXNET_GUEST_INCOMING_DATAGRAM_SIZE)
    /// What memory.grow brings (wasm's zeros would hide writes of zeros).
    static let fill: UInt8 = 0xA5
    /// The guest's cabi_realloc as a runtime would wire it: the context is the Guest.
    static let realloc: wasixnet_guest_realloc_t = { context, guest, oldPointer, oldSize, align, size in
        let owner = Unmanaged<Guest>.fromOpaque(context!).takeUnretainedValue()
        if guest != owner.descriptor { violated("realloc got another guest") }
        return owner.realloc(oldPointer: oldPointer, oldSize: oldSize, align: align, size: size)
    }
}

/// The guest: its memory (moved on growth), a shadow of what the guest itself wrote there, and
/// what its realloc did on each call.
final class Guest {
    /// Apart from the object, at a fixed address: the library holds it across realloc calls.
    let descriptor = UnsafeMutablePointer<wasixnet_guest_t>.allocate(capacity: 1)
    var shadow: [UInt8]
    var actions: [UInt8]
    var calls: [(align: UInt64, size: UInt64, answer: UInt64, valid: Bool)] = []
    var next: UInt64 = 0

    init(size: Int, fillByte: UInt8, pointerSize: UInt8, actions: [UInt8], nullMemory: Bool) {
        shadow = [UInt8](repeating: fillByte, count: size)
        self.actions = actions
        descriptor.initialize(to: wasixnet_guest_t())
        descriptor.pointee.memory = nullMemory ? nil : .allocate(capacity: max(size, 1))
        descriptor.pointee.memory?.initialize(repeating: fillByte, count: size)
        descriptor.pointee.memory_size = UInt64(size)
        descriptor.pointee.pointer_size = pointerSize
    }

    deinit {
        descriptor.pointee.memory?.deallocate()
        descriptor.deallocate()
    }

    func grow(by bytes: Int) {
        let size = Int(descriptor.pointee.memory_size)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: size + bytes)
        if let old = descriptor.pointee.memory { moved.update(from: old, count: size) } else { moved.initialize(repeating: 0, count: size) }
        (moved + size).initialize(repeating: Lowering.fill, count: bytes)
        descriptor.pointee.memory?.deallocate()
        descriptor.pointee.memory = moved
        descriptor.pointee.memory_size = UInt64(size + bytes)
        shadow += [UInt8](repeating: Lowering.fill, count: bytes)
    }

    /// The block the canonical ABI accepts: aligned, inside memory (below 4 GiB).
    func isValid(_ block: UInt64, _ size: UInt64, _ align: UInt64) -> Bool {
        block != UInt64.max && block % align == 0 && block <= descriptor.pointee.memory_size && size <= descriptor.pointee.memory_size - block
    }

    func realloc(oldPointer: UInt64, oldSize: UInt64, align: UInt64, size: UInt64) -> UInt64 {
        if oldPointer != 0 || oldSize != 0 { violated("realloc called with an old block") }
        if let last = calls.last, !last.valid { violated("realloc called again after an answer that traps") }
        let action = calls.count < actions.count ? actions[calls.count] : 0
        var answer = (next + align - 1) / align * align
        switch action % 8 {
        case 1, 2:
            grow(by: Int(size) + Int(action) * 64)
        case 3: answer = UInt64.max
        case 4: answer = descriptor.pointee.memory_size &- size &+ 1 &+ UInt64(action >> 3)
        case 5: answer += align > 1 ? 1 + UInt64(action >> 3) % (align - 1) : 0
        case 6: answer = UInt64(action >> 3) * 97
        default: break
        }
        if action % 8 != 3 && action % 8 != 4 && action % 8 != 6 && answer + size > descriptor.pointee.memory_size {
            grow(by: Int(answer + size - descriptor.pointee.memory_size))
        }
        let valid = isValid(answer, size, align)
        calls.append((align, size, answer, valid))
        if valid { next = max(next, answer + size) }
        return answer
    }
}


func streamingSocket(_ family: UInt8, stream: Bool) -> OpaquePointer {
    var socket: OpaquePointer?
    guard wasixnet_udp_create(nil, family, &socket) == 0, let socket else { violated("udp_create") }
    var local = loopbackAddress(family, port: 0)
    guard wasixnet_udp_start_bind(socket, &local) == 0, wasixnet_udp_finish_bind(socket) == 0 else { violated("bind") }
    if stream { guard wasixnet_udp_stream(socket, nil) == 0 else { violated("stream") } }
    return socket
}

func localAddress(_ socket: OpaquePointer) -> wasixnet_ip_socket_address_t {
    var address = wasixnet_ip_socket_address_t()
    guard wasixnet_udp_local_address(socket, &address) == 0 else { violated("local_address") }
    return address
}

/// The datagram `index` sent: its bytes say which it is.
func payload(_ index: Int, length: Int) -> [UInt8] {
    (0..<length).map { UInt8(truncatingIfNeeded: index &* 13 &+ $0) }
}

@c(LLVMFuzzerTestOneInput)
public func fuzzGuestDatagramReceive(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let flags = input.u8()
    let family: UInt8 = flags & 1
    let streams = flags & 2 == 0
    let pointerSize: UInt8 = switch flags >> 2 & 7 {
    case 0...4: 4
    case 5: 8
    case 6: input.u8()
    default: 4
    }
    let nullMemory = flags & 0x20 != 0 && flags & 0x40 != 0
    let memorySize = Int(input.u16()) % 8193
    let fillByte = input.u8()
    let resultPointer: UInt64 = switch input.u8() & 7 {
    case 0...3: UInt64(input.u8()) * 4
    case 4: UInt64(memorySize) &- UInt64(input.u8() % 16)
    case 5: UInt64(input.u16()) % UInt64(memorySize + 64)
    case 6: UInt64.max &- UInt64(input.u8())
    default: input.u64()
    }
    let maxResults: UInt64 = switch input.u8() & 7 {
    case 0: 0
    case 1...5: UInt64(input.u8() % 70)
    case 6: 1024 + UInt64(input.u8())
    default: input.u64()
    }
    // The traffic: up to 48 datagrams; a length byte 0xFF repeats the previous length (a run).
    var lengths: [Int] = []
    for _ in 0..<Int(input.u8() % 49) {
        let byte = input.u8()
        lengths.append(byte == 0xFF ? (lengths.last ?? 0) : (byte < 0xF0 ? Int(byte) * 6 : Int(input.u16()) % 2000))
    }
    var actions: [UInt8] = []
    while !input.isEmpty && actions.count < 80 { actions.append(input.u8()) }

    let receiver = streamingSocket(family, stream: streams)
    defer { wasixnet_udp_free(receiver) }
    let sender = streamingSocket(family, stream: true)
    defer { wasixnet_udp_free(sender) }
    var target = localAddress(receiver)
    let from = localAddress(sender)
    let sent = lengths.enumerated().map { payload($0.offset, length: $0.element) }
    if !sent.isEmpty {
        var permits: UInt64 = 0
        _ = wasixnet_udp_check_send(sender, &permits)
        var count: UInt64 = 0
        let status = withUnsafeMutablePointer(to: &target) { to in
            let pinned = sent.map { bytes -> UnsafeMutablePointer<UInt8> in
                let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
                copy.initialize(from: bytes, count: bytes.count)
                return copy
            }
            defer { pinned.forEach { $0.deallocate() } }
            let datagrams = sent.indices.map { wasixnet_outgoing_datagram_t(data: pinned[$0], len: sent[$0].count, remote_address: to) }
            return wasixnet_udp_send(sender, datagrams, datagrams.count, &count)
        }
        guard status == 0, count == UInt64(sent.count) else { violated("send: \(status), \(count) of \(sent.count)") }
        var entry = pollfd(fd: wasixnet_udp_fd(receiver), events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, 1000)
    }

    let guest = Guest(size: memorySize, fillByte: fillByte, pointerSize: pointerSize, actions: actions, nullMemory: nullMemory)
    let context = Unmanaged.passUnretained(guest).toOpaque()
    let status = wasixnet_guest_udp_receive(receiver, guest.descriptor, maxResults, Lowering.realloc, context, resultPointer)
    let memory = guest.descriptor.pointee.memory
    let memoryNow = Int(guest.descriptor.pointee.memory_size)

    // What the call may have written: the result record, and the fields of what realloc gave.
    var expected = guest.shadow
    // Datagrams the guest got: the host's receive must go on after them.
    var handed = 0
    func untouched(_ why: String) {
        if let memory, !expected.elementsEqual(UnsafeBufferPointer(start: memory, count: memoryNow)) {
            let first = (0..<memoryNow).first { memory[$0] != expected[$0] }!
            violated("\(why): byte \(first) written (\(memory[first]), expected \(expected[first]))")
        }
    }
    if pointerSize != 4 || (nullMemory && memorySize > 0) {
        let wanted = pointerSize == 8 ? WASIXNET_SOCK_E_NOT_SUPPORTED : WASIXNET_SOCK_E_INVALID_ARGUMENT
        if status != wanted || !guest.calls.isEmpty { violated("pointer size \(pointerSize): \(status), \(guest.calls.count) reallocs") }
        untouched("rejected call")
    } else if resultPointer % 4 != 0 || resultPointer > UInt64(memorySize) || UInt64(memorySize) - resultPointer < 12 {
        if status != WASIXNET_SOCK_TRAP || !guest.calls.isEmpty { violated("bad return pointer: \(status), \(guest.calls.count) reallocs") }
        untouched("bad return pointer")
    } else if !streams {
        if status != WASIXNET_SOCK_OK || !guest.calls.isEmpty { violated("before stream: \(status)") }
        let result = Int(resultPointer)
        expected[result] = 1
        expected[result + 4] = UInt8(WASIXNET_SOCK_E_INVALID_STATE - 1)
        untouched("err(invalid-state)")
    } else {
        let result = Int(resultPointer)
        guard let first = guest.calls.first else { violated("no realloc for the list (status \(status))") }
        if first.align != 4 || first.size % UInt64(Lowering.elementSize) != 0 { violated("array realloc: align \(first.align), size \(first.size)") }
        let count = Int(first.size) / Lowering.elementSize
        if count > sent.count || UInt64(count) > maxResults { violated("\(count) datagrams, \(sent.count) sent, max \(maxResults)") }
        let traps = guest.calls.contains { !$0.valid }
        if traps != (status == WASIXNET_SOCK_TRAP) { violated("a realloc answer that traps: \(traps), status \(status)") }
        if !traps && status != WASIXNET_SOCK_OK { violated("status \(status)") }
        if !traps && guest.calls.count != count + 1 { violated("\(guest.calls.count) reallocs for \(count) datagrams") }
        expected[result] = 0
        if !traps, let memory {
            let array = Int(first.answer)
            for index in 0..<count {
                let call = guest.calls[index + 1]
                let element = array + index * Lowering.elementSize
                if call.align != 1 || Int(call.size) != sent[index].count { violated("datagram \(index): realloc \(call)") }
                let length = sent[index].count
                for byte in 0..<length { expected[Int(call.answer) + byte] = sent[index][byte] }
                withUnsafeBytes(of: UInt32(call.answer)) { for byte in 0..<4 { expected[element + byte] = $0[byte] } }
                withUnsafeBytes(of: UInt32(length)) { for byte in 0..<4 { expected[element + 4 + byte] = $0[byte] } }
                withUnsafeBytes(of: from) { address in
                    expected[element + 8] = address[0]
                    let fields = family == 0 ? Array(4..<10) : [4, 5] + Array(8..<32)
                    for byte in fields { expected[element + 8 + byte] = address[byte] }
                }
            }
            withUnsafeBytes(of: UInt32(first.answer)) { for byte in 0..<4 { expected[result + 4 + byte] = $0[byte] } }
            withUnsafeBytes(of: UInt32(count)) { for byte in 0..<4 { expected[result + 8 + byte] = $0[byte] } }
            // Byte for byte, blocks that overlap included (the later write wins, as in a guest).
            untouched("ok(list)")
            handed = count
        } else if let memory {
            // Trapped midway: writes before the bad answer are allowed (the guest dies), but
            // nothing outside the result and the blocks realloc gave.
            var allowed = [Bool](repeating: false, count: memoryNow)
            for byte in result..<result + 12 { allowed[byte] = true }
            for call in guest.calls where call.valid {
                for byte in Int(call.answer)..<Int(call.answer + call.size) { allowed[byte] = true }
            }
            if let byte = (0..<memoryNow).first(where: { !allowed[$0] && memory[$0] != expected[$0] }) {
                violated("trapped call wrote byte \(byte) outside the result and its blocks")
            }
        }
    }

    // The host goes on: the rest comes in order, nothing twice.
    var index = handed
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 2048)
    defer { buffer.deallocate() }
    var incoming = wasixnet_incoming_datagram_t()
    for _ in 0..<200 {
        incoming.data = buffer
        incoming.capacity = 2048
        var received = 0
        let wanted = streams ? wasixnet_sock_status_t(WASIXNET_SOCK_OK) : wasixnet_sock_status_t(WASIXNET_SOCK_E_INVALID_STATE)
        guard wasixnet_udp_receive(receiver, &incoming, 1, &received) == wanted else {
            violated("the socket no longer receives")
        }
        if received == 0 { break }
        let bytes = Array(UnsafeBufferPointer(start: buffer, count: incoming.len))
        guard let next = (index..<sent.count).first(where: { sent[$0] == bytes }) else { violated("a datagram given twice or from nowhere") }
        index = next + 1
    }
    return 0
}
