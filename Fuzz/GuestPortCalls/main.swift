// Fuzz target: the 13 guest-memory port calls (wasixnet_guest_port_*) and the import table's
// adapters, on a fake linear memory holding whatever the input says, in both layouts and both
// pointer sizes, on one port with a clock the input moves.
//
// Input: a header (layout, pointer size, limits, hooks), a memory image, then a sequence of
// operations, each an opcode and its arguments. Guest offsets are decoded so that most land in
// or near the memory and some sit at its end or near 2^64 (the overflow checks).
//
// Beyond "no crash, no ASan report", every call is checked against the contract (wasixnet.h [guest.bounds], [guest.layouts]):
// the errno is a WASIX one (0…80); EFAULT writes nothing at all; no call writes outside what it
// may write (mac: its 6 bytes; lists: the count cell and the entries written); a list's count cell
// holds the port's real count, and in the WASIX_V1 layout its entries are byte-identical to
// the host-typed call's; the port never holds more than its limits.
//
// Build and run: `make fuzz` (sanitize.mk). Reproduce a crash: `.build-fuzz/release/FuzzGuestPortCalls crash-…`.
import CWasixNet
import WasixNetABI
import FuzzSupport

/// The port's clock: a value the input moves, read through the C config's clock callback.
nonisolated(unsafe) var clockNow: UInt64 = 1_000_000

/// Reentrancy: the DHCP hook adds an address through the host-typed call, as the contract allows.
nonisolated(unsafe) var dhcpCounter: UInt8 = 0

private func fixedClock(_ context: UnsafeMutableRawPointer?) -> wasixnet_timestamp_t { clockNow }

private func bridgeHook(_ context: UnsafeMutableRawPointer?, _ network: UnsafePointer<CChar>?, _ networkLength: Int,
                        _ token: UnsafePointer<CChar>?, _ tokenLength: Int, _ security: UInt8) -> wasixnet_errno_t {
    // Touch every byte the hook was given: ASan checks the ranges are real.
    var sum: UInt8 = security
    for index in 0..<networkLength { sum &+= UInt8(bitPattern: network![index]) }
    for index in 0..<tokenLength { sum &+= UInt8(bitPattern: token![index]) }
    return wasixnet_errno_t(sum % 3 == 0 ? 0 : 52)
}

private func unbridgeHook(_ context: UnsafeMutableRawPointer?) -> wasixnet_errno_t { 0 }

private func dhcpHook(_ context: UnsafeMutableRawPointer?, _ port: OpaquePointer?) -> wasixnet_errno_t {
    dhcpCounter &+= 1
    var cidr = wasixnet_addr_cidr_t()
    cidr.tag = 1  // inet4
    withUnsafeMutableBytes(of: &cidr) { raw in
        raw[2] = 192; raw[3] = 168; raw[4] = 77; raw[5] = dhcpCounter
        raw[6] = 24
    }
    return wasixnet_port_addr_add(port, &cidr)
}

/// Traps with a message: libFuzzer records the input as a crash.
func violated(_ message: @autoclosure () -> String) -> Never {
    fatalError("contract violated: \(message())")
}

/// A region a call may write to: [start, start + count).
struct Region {
    var start: UInt64
    var count: UInt64
}

struct Harness {
    var input: FuzzInput
    var port: OpaquePointer
    var guest = wasixnet_guest_t()
    let memory: UnsafeMutablePointer<UInt8>?
    let size: Int
    let snapshot: UnsafeMutablePointer<UInt8>
    let maxRoutes: Int
    let maxAddresses: Int

    /// A guest offset (or length): mostly in or just past the memory, sometimes at its very end
    /// or near 2^64.
    mutating func offset() -> UInt64 {
        let mode = input.u8()
        switch mode & 7 {
        case 0...4: return UInt64(input.u16()) % UInt64(size + 48)
        case 5: return UInt64(size) &- UInt64(input.u8())
        case 6: return UInt64.max &- UInt64(input.u8())
        default: return input.u64()
        }
    }

    var layoutIsWasixV1: Bool { guest.layout == UInt8(WASIXNET_LAYOUT_WASIX_V1) }
    var addressSize: Int { layoutIsWasixV1 ? 110 : 18 }
    var cidrSize: Int { layoutIsWasixV1 ? 28 : 19 }
    var routeSize: Int { layoutIsWasixV1 ? 176 : 72 }

    /// Whether [offset, offset + count) lies in the memory.
    func inBounds(_ offset: UInt64, _ count: UInt64) -> Bool {
        let (end, overflow) = offset.addingReportingOverflow(count)
        return !overflow && end <= UInt64(size)
    }

    func takeSnapshot() {
        if let memory { snapshot.update(from: memory, count: size) }
    }

    /// Every byte outside `allowed` is as it was before the call.
    func checkUnchanged(except allowed: [Region], _ call: String) {
        guard let memory else { return }
        for index in 0..<size where memory[index] != snapshot[index] {
            let offset = UInt64(index)
            guard allowed.contains(where: { offset >= $0.start && offset - $0.start < $0.count }) else {
                violated("\(call) wrote byte \(index) outside what it may write")
            }
        }
    }

    /// What the port lists now, through the host-typed calls: (count, entries in the WASIX_V1 layout).
    func hostList(routes: Bool) -> (Int, [UInt8]) {
        var count: UInt32 = 0
        if routes {
            var probe = wasixnet_route_t()  // capacity 0: only the count comes back (NULL would be EFAULT)
            _ = wasixnet_port_route_list(port, &probe, &count)
            var entries = [wasixnet_route_t](repeating: wasixnet_route_t(), count: Int(count) + 1)
            var capacity = count
            let status = entries.withUnsafeMutableBufferPointer { wasixnet_port_route_list(port, $0.baseAddress, &capacity) }
            if status != 0 || capacity != count { violated("host route_list: \(status), \(capacity) != \(count)") }
            return (Int(count), entries.withUnsafeBytes { Array($0) })
        }
        var probe = wasixnet_addr_cidr_t()
        _ = wasixnet_port_addr_list(port, &probe, &count)
        var entries = [wasixnet_addr_cidr_t](repeating: wasixnet_addr_cidr_t(), count: Int(count) + 1)
        var capacity = count
        let status = entries.withUnsafeMutableBufferPointer { wasixnet_port_addr_list(port, $0.baseAddress, &capacity) }
        if status != 0 || capacity != count { violated("host addr_list: \(status), \(capacity) != \(count)") }
        return (Int(count), entries.withUnsafeBytes { Array($0) })
    }

    /// Checks a guest list call's outcome: count cell, entries, errno, nothing else written.
    func checkList(_ call: String, status: wasixnet_errno_t, entries: UInt64, cell: UInt64, pointerSize: Int,
                   stride: Int, routes: Bool) {
        let cellOK = inBounds(cell, UInt64(pointerSize))
        var capacity: UInt64 = 0
        if cellOK, memory != nil {
            let base = Int(cell)
            for byte in 0..<pointerSize { capacity |= UInt64(snapshot[base + byte]) << (8 * byte) }
        }
        let (total, overflow) = capacity.multipliedReportingOverflow(by: UInt64(stride))
        let bufferOK = cellOK && !overflow && inBounds(entries, total)
        if !bufferOK {
            if status != WASIXNET_EFAULT { violated("\(call): out-of-bounds list answered \(status), not EFAULT") }
            checkUnchanged(except: [], call)
            return
        }
        guard let memory else { return }
        let (count, hostEntries) = hostList(routes: routes)
        let written = min(Int(capacity), count)
        let expected = count > Int(capacity) ? WASIXNET_EOVERFLOW : WASIXNET_ESUCCESS
        if status != expected { violated("\(call): answered \(status), expected \(expected) (\(count) of \(capacity))") }
        var stored: UInt64 = 0
        for byte in 0..<pointerSize { stored |= UInt64(memory[Int(cell) + byte]) << (8 * byte) }
        if stored != UInt64(count) { violated("\(call): count cell holds \(stored), the port has \(count)") }
        if layoutIsWasixV1 && written > 0 {
            // Entries may overlap the count cell; compare those that do not.
            let cellRange = Int(cell)..<(Int(cell) + pointerSize)
            for byte in 0..<(written * stride) where !cellRange.contains(Int(entries) + byte) {
                if memory[Int(entries) + byte] != hostEntries[byte] { violated("\(call): entry byte \(byte) differs from the host call") }
            }
        }
        checkUnchanged(except: [Region(start: cell, count: UInt64(pointerSize)),
                                Region(start: entries, count: UInt64(written * stride))], call)
    }

    /// Checks a call that writes nothing: only its errno and its bounds rule.
    func checkNoWrite(_ call: String, status: wasixnet_errno_t, reads: [(UInt64, Int)]) {
        if reads.contains(where: { !inBounds($0.0, UInt64($0.1)) }) && status != WASIXNET_EFAULT {
            violated("\(call): out-of-bounds struct answered \(status), not EFAULT")
        }
        checkUnchanged(except: [], call)
    }

    func checkLimits() {
        let (routes, _) = hostList(routes: true)
        let (addresses, _) = hostList(routes: false)
        if routes > maxRoutes { violated("\(routes) routes, limit \(maxRoutes)") }
        if addresses > maxAddresses {
            violated("\(addresses) addresses, limit \(maxAddresses)")
        }
    }

    /// Writes a valid-looking addr or CIDR (tag, address, prefix) at a decoded offset, so that
    /// runs reach the port's rules and not only the bounds checks.
    mutating func plantStructure() {
        let at = offset()
        let kind = input.u8()
        let family: UInt8 = kind & 1 == 0 ? 1 : 2  // inet4, inet6
        let isCIDR = kind & 2 != 0
        let length = isCIDR ? cidrSize : addressSize
        guard inBounds(at, UInt64(length)), let memory else { return }
        let base = memory + Int(at)
        base.update(repeating: 0, count: length)
        base[0] = family
        if family == 1 {
            let address = input.u32()
            // A small space so that the same addresses come back.
            base[2] = 10; base[3] = UInt8(address & 3); base[4] = UInt8(address >> 8 & 3); base[5] = UInt8(address >> 16 & 7)
            if isCIDR { base[6] = input.u8() % 34 }
        } else {
            base[2] = 0x20; base[3] = 0x01; base[4] = 0x0d; base[5] = 0xb8
            base[6] = input.u8() & 3; base[17] = input.u8() & 7
            if isCIDR { base[layoutIsWasixV1 ? 26 : 18] = input.u8() % 130 }
            if layoutIsWasixV1 && kind & 4 != 0 { base[19] = input.u8(); base[25] = input.u8() }
        }
    }

    /// An option<timestamp> around the clock's now.
    mutating func plantTimestamp() {
        let at = offset()
        guard inBounds(at, 16), let memory else { return }
        let base = memory + Int(at)
        let kind = input.u8()
        base.update(repeating: 0, count: 16)
        base[0] = kind % 3 == 2 ? input.u8() : kind % 3
        let value = clockNow &+ UInt64(input.u16()) &- 1000
        withUnsafeBytes(of: value.littleEndian) { raw in
            for index in 0..<8 { base[8 + index] = raw[index] }
        }
    }

    mutating func run() {
        var steps = 0
        while !input.isEmpty && steps < 256 {
            steps += 1
            step()
        }
        checkLimits()
    }

    mutating func step() {
        let opcode = input.u8() % 20
        let pointerSize = Int(guest.pointer_size)
        takeSnapshot()
        switch opcode {
        case 0:
            let (network, networkLength, token, tokenLength) = (offset(), offset(), offset(), offset())
            let security = input.u8() & 1 == 0 ? UInt64(input.u8()) : input.u64()
            let status = wasixnet_guest_port_bridge(port, &guest, network, networkLength, token, tokenLength, security)
            checkErrno(status)
            if (!inBounds(network, networkLength) || !inBounds(token, tokenLength)) && status != WASIXNET_EFAULT {
                violated("bridge: out-of-bounds string answered \(status)")
            }
            checkUnchanged(except: [], "bridge")
        case 1:
            checkErrno(wasixnet_guest_port_unbridge(port, &guest))
            checkUnchanged(except: [], "unbridge")
        case 2:
            checkErrno(wasixnet_guest_port_dhcp_acquire(port, &guest))
            checkUnchanged(except: [], "dhcp_acquire")
        case 3:
            let at = offset()
            let status = wasixnet_guest_port_addr_add(port, &guest, at)
            checkErrno(status)
            checkNoWrite("addr_add", status: status, reads: [(at, cidrSize)])
        case 4:
            let at = offset()
            let status = wasixnet_guest_port_addr_remove(port, &guest, at)
            checkErrno(status)
            checkNoWrite("addr_remove", status: status, reads: [(at, addressSize)])
        case 5:
            checkErrno(wasixnet_guest_port_addr_clear(port, &guest))
            checkUnchanged(except: [], "addr_clear")
        case 6:
            let (entries, cell) = (offset(), offset())
            let status = wasixnet_guest_port_addr_list(port, &guest, entries, cell)
            checkErrno(status)
            checkList("addr_list", status: status, entries: entries, cell: cell, pointerSize: pointerSize,
                      stride: cidrSize, routes: false)
        case 7:
            let at = offset()
            let status = wasixnet_guest_port_mac(port, &guest, at)
            checkMAC(status, at)
        case 8:
            let at = offset()
            let status = wasixnet_guest_port_gateway_set(port, &guest, at)
            checkErrno(status)
            checkNoWrite("gateway_set", status: status, reads: [(at, addressSize)])
        case 9:
            let (cidr, via, preferred, expires) = (offset(), offset(), offset(), offset())
            let status = wasixnet_guest_port_route_add(port, &guest, cidr, via, preferred, expires)
            checkErrno(status)
            checkNoWrite("route_add", status: status, reads: [(cidr, cidrSize), (via, addressSize), (preferred, 16), (expires, 16)])
        case 10:
            let at = offset()
            let status = wasixnet_guest_port_route_remove(port, &guest, at)
            checkErrno(status)
            checkNoWrite("route_remove", status: status, reads: [(at, addressSize)])
        case 11:
            checkErrno(wasixnet_guest_port_route_clear(port, &guest))
            checkUnchanged(except: [], "route_clear")
        case 12:
            let (entries, cell) = (offset(), offset())
            let status = wasixnet_guest_port_route_list(port, &guest, entries, cell)
            checkErrno(status)
            checkList("route_list", status: status, entries: entries, cell: cell, pointerSize: pointerSize,
                      stride: routeSize, routes: true)
        case 13:
            clockNow &+= UInt64(input.u16()) * (input.u8() & 1 == 0 ? 1 : 1000)
        case 14:
            importCall()
        case 15:
            // Switch layout and pointer size mid-run: one port serves both.
            let choice = input.u8()
            guest.layout = choice & 1
            guest.pointer_size = choice & 2 == 0 ? 4 : 8
        case 16, 17:
            plantStructure()
        case 18:
            plantTimestamp()
        default:
            // A descriptor that cannot be used: EINVAL (bad layout / pointer size) or EFAULT (no
            // memory), nothing written, then the good one again.
            let saved = guest
            let choice = input.u8()
            switch choice % 3 {
            case 0: guest.layout = 2 + choice % 254
            case 1: guest.pointer_size = choice | 1
            default: guest.memory = nil; guest.memory_size = UInt64(choice) + 1
            }
            let statuses = [wasixnet_guest_port_route_clear(port, &guest), wasixnet_guest_port_addr_list(port, &guest, 0, 0),
                            wasixnet_guest_port_mac(port, &guest, 0)]
            guest = saved
            if statuses.contains(where: { $0 != WASIXNET_EINVAL && $0 != WASIXNET_EFAULT }) { violated("bad descriptor answered \(statuses)") }
            checkUnchanged(except: [], "bad descriptor")
        }
    }

    func checkErrno(_ status: wasixnet_errno_t) {
        if status > 80 { violated("errno \(status) is not a WASIX errno") }
    }

    func checkMAC(_ status: wasixnet_errno_t, _ at: UInt64) {
        guard inBounds(at, 6) else {
            if status != WASIXNET_EFAULT { violated("mac: out of bounds answered \(status)") }
            checkUnchanged(except: [], "mac")
            return
        }
        if status != 0 { violated("mac answered \(status)") }
        var mac = wasixnet_hardware_address_t()
        _ = wasixnet_port_mac(port, &mac)
        let written = withUnsafeBytes(of: mac) { Array($0) }
        for index in 0..<6 where memory![Int(at) + index] != written[index] { violated("mac: wrong bytes") }
        checkUnchanged(except: [Region(start: at, count: 6)], "mac")
    }

    /// One entry of wasixnet_imports(), called as a runtime would: arguments as an array of
    /// u64, i32 ones possibly sign-extended.
    mutating func importCall() {
        var count = 0
        guard let table = wasixnet_imports(&count), count > 0 else { violated("no import table") }
        let entry = table[Int(input.u8()) % count]
        let name = String(cString: entry.name)
        let params = Array(String(cString: entry.params).utf8)
        let is64 = String(cString: entry.module) == "wasix_64v1"
        var args = [UInt64](repeating: 0, count: 6)
        for index in 0..<params.count {
            var value = offset()
            if params[index] == UInt8(ascii: "i") {
                value = UInt64(UInt32(truncatingIfNeeded: value))
                if input.u8() & 1 == 1 { value = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: value))) }
            }
            args[index] = value
        }
        // What the adapter hands on: the low 32 bits of i32 arguments.
        let effective = (0..<params.count).map { params[$0] == UInt8(ascii: "i") ? args[$0] & 0xffff_ffff : args[$0] }
        let status = args.withUnsafeBufferPointer { entry.call(port, &guest, $0.baseAddress) }
        checkErrno(status)
        let pointerSize = is64 ? 8 : 4
        switch name {
        case "port_mac": checkMAC(status, effective[0])
        case "port_addr_list":
            checkList(name, status: status, entries: effective[0], cell: effective[1], pointerSize: pointerSize,
                      stride: cidrSize, routes: false)
        case "port_route_list":
            checkList(name, status: status, entries: effective[0], cell: effective[1], pointerSize: pointerSize,
                      stride: routeSize, routes: true)
        case "port_addr_add": checkNoWrite(name, status: status, reads: [(effective[0], cidrSize)])
        case "port_addr_remove", "port_gateway_set", "port_route_remove":
            checkNoWrite(name, status: status, reads: [(effective[0], addressSize)])
        case "port_route_add":
            checkNoWrite(name, status: status, reads: [(effective[0], cidrSize), (effective[1], addressSize),
                                                       (effective[2], 16), (effective[3], 16)])
        default: checkUnchanged(except: [], name)
        }
    }
}

@c(LLVMFuzzerTestOneInput)
public func fuzzGuestPortCalls(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let flags = input.u8()
    let limits = input.u8()
    clockNow = 1_000_000
    dhcpCounter = 0

    var config = wasixnet_port_config_t()
    config.struct_size = UInt32(MemoryLayout<wasixnet_port_config_t>.size)
    config.max_routes = UInt32(limits & 15) + 1
    config.max_addrs = UInt32(limits >> 4 & 7) + 1
    config.clock = fixedClock
    if flags & 4 != 0 {
        config.bridge = bridgeHook
        config.unbridge = unbridgeHook
        config.dhcp_acquire = dhcpHook
    }
    var port: OpaquePointer?
    guard wasixnet_port_new(&config, &port) == 0, let port else { violated("port_new failed") }
    defer { wasixnet_port_free(port) }

    // The memory: exactly `size` bytes on the heap, so that ASan sees one byte past its end.
    let memorySize = Int(input.u16()) % 4097
    let memory: UnsafeMutablePointer<UInt8>? = memorySize == 0 && flags & 8 != 0 ? nil : .allocate(capacity: max(memorySize, 1))
    defer { memory?.deallocate() }
    if let memory { input.copy(into: memory, count: memorySize) }
    let snapshot = UnsafeMutablePointer<UInt8>.allocate(capacity: max(memorySize, 1))
    defer { snapshot.deallocate() }

    var harness = Harness(input: input, port: port, memory: memory, size: memorySize, snapshot: snapshot,
                          maxRoutes: Int(config.max_routes), maxAddresses: Int(config.max_addrs))
    harness.guest.memory = memory
    harness.guest.memory_size = UInt64(memorySize)
    harness.guest.layout = flags & 1
    harness.guest.pointer_size = flags & 2 == 0 ? 4 : 8
    harness.run()
    return 0
}
