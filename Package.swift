// swift-tools-version:6.0
// The ordinary-Swift build of wasixnet's sources: `swift test`, the fuzzers and the sanitizer runs.
// The shipped libwasixnet.so is not built here: the Makefile builds it from the same targets'
// sources with Embedded Swift (see its header for why make and not SwiftPM).
import PackageDescription

let package = Package(
    name: "wasixnet",
    targets: [
        // include/wasixnet.h seen by Swift (through a module map that points at it, never a
        // copy), plus the C-only parts of the ABI that need no Swift: error names and versions.
        .target(name: "CWasixNet", path: "Sources/CWasixNet"),
        // Static tables that point at the Swift @c functions: kept apart from CWasixNet so that
        // targets which only need the header's types do not link undefined symbols.
        .target(name: "CWasixNetTables", dependencies: ["CWasixNet"], path: "Sources/CWasixNetTables"),
        // The core's window on libc (the system headers, in place of Glibc, which Embedded Swift
        // lacks) and what Swift cannot see of Linux's socket API (mmsghdr, sendmmsg/recvmmsg, cmsg,
        // UDP GSO): thin C declarations, no logic. Its calls are made from System/ only (its
        // mmsghdr type is also what UDP/ builds batches in).
        .target(name: "CWasixNetSystem", path: "Sources/CWasixNetSystem"),
        // The core: plain Swift values, no C layouts.
        .target(name: "WasixNet", dependencies: ["CWasixNetSystem"], path: "Sources/WasixNet"),
        // The C face: decode, call the core, encode.
        .target(
            name: "WasixNetABI",
            dependencies: ["CWasixNet", "CWasixNetTables", "WasixNet"],
            path: "Sources/WasixNetABI"
        ),
        .testTarget(name: "WasixNetTests", dependencies: ["WasixNet", "CWasixNet"], path: "Tests/WasixNetTests"),
        // libFuzzer targets (sanitize.mk: `make fuzz`), each an executable whose LLVMFuzzerTestOneInput
        // is the entry when built with -sanitize=fuzzer; a plain build makes an inert executable.
        .target(name: "FuzzSupport", dependencies: ["CWasixNet"], path: "Fuzz/Support"),
        .executableTarget(name: "FuzzGuestPortCalls", dependencies: ["WasixNetABI", "CWasixNet", "FuzzSupport"],
                          path: "Fuzz/GuestPortCalls"),
        .executableTarget(name: "FuzzRouteTable", dependencies: ["WasixNet", "FuzzSupport"], path: "Fuzz/RouteTable"),
        .executableTarget(name: "FuzzGuestDatagramList", dependencies: ["WasixNetABI", "CWasixNet", "FuzzSupport"],
                          path: "Fuzz/GuestDatagramList"),
        .executableTarget(name: "FuzzGuestDatagramReceive", dependencies: ["WasixNetABI", "CWasixNet", "FuzzSupport"],
                          path: "Fuzz/GuestDatagramReceive"),
    ]
)
