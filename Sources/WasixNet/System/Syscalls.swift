#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every call the core makes into the operating system, in one place (as swift-system does), so
/// that tests can see and replace them.
enum Syscalls {
    /// CLOCK_REALTIME in nanoseconds since the Unix epoch: WASI's realtime clock.
    static func realtimeNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
