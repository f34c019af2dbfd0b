#if canImport(Glibc)
import Glibc
#endif
@testable import WasixNet

// Helpers of the Hostile* suites: real threads (not tasks: the cooperative pool has one thread
// per core, and the point is more threads than cores), descriptor and memory counts, and
// sequence-numbered payloads.

/// Runs each body on its own pthread and waits for all of them.
func runOnThreads(_ bodies: [@Sendable () -> Void]) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var threads: [pthread_t] = []
    for body in bodies {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let created = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(created == 0, "pthread_create: \(created)")
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}

/// Open descriptors of this process, counted in /proc/self/fd.
func openDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { count += 1 }
    }
    return count - 1  // the directory stream's own descriptor
}

/// Resident set size in bytes (/proc/self/statm, second field, in pages).
func residentBytes() -> Int {
    let fd = open("/proc/self/statm", O_RDONLY)
    guard fd >= 0 else { return -1 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let length = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard length > 0 else { return -1 }
    let fields = String(decoding: buffer[0..<length], as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return -1 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Whether a sanitizer runtime is in the process: its allocator keeps freed memory in
/// quarantine (ASan) or shadows it (TSan), so RSS says nothing about leaks there.
var runningUnderSanitizer: Bool {
    let handle = dlopen(nil, RTLD_NOW)
    defer { if let handle { dlclose(handle) } }
    return dlsym(handle, "__asan_init") != nil || dlsym(handle, "__tsan_init") != nil
}

/// A payload that says which datagram it is: the sequence number in its first 8 bytes, then
/// bytes derived from it (so a mixed-up tail shows as well).
func sequencedPayload(_ sequence: UInt64, length: Int) -> [UInt8] {
    precondition(length >= 8)
    var bytes = withUnsafeBytes(of: sequence.littleEndian) { Array($0) }
    for index in 8..<length { bytes.append(UInt8(truncatingIfNeeded: sequence &* 131 &+ UInt64(index))) }
    return bytes
}

/// The sequence number of a payload made by `sequencedPayload`, or nil when the bytes are not one.
func sequence(of bytes: [UInt8]) -> UInt64? {
    guard bytes.count >= 8 else { return nil }
    let value = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    return bytes == sequencedPayload(value, length: bytes.count) ? value : nil
}

/// Receives what is queued now (up to 64 at a time) into `arrivals`, never waiting.
func receiveQueued(_ socket: UDPSocket, into arrivals: inout [[UInt8]], storage: UnsafeMutableRawPointer, slotSize: Int) -> Result<Int, SocketFailure> {
    var lengths: [(Int, Int)] = []
    let result = socket.receive(maxResults: 64) { index in
        ReceiveBuffer(base: storage + index * slotSize, capacity: slotSize)
    } store: { index, datagram in
        lengths.append((index, datagram.length))
    }
    for (index, length) in lengths {
        arrivals.append(Array(UnsafeRawBufferPointer(start: storage + index * slotSize, count: length)))
    }
    return result
}

/// Waits up to `milliseconds` for `socket` to have a datagram.
@discardableResult
func waitReadable(_ socket: UDPSocket, milliseconds: Int32) -> Bool {
    var entry = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
    return poll(&entry, 1, milliseconds) == 1
}
