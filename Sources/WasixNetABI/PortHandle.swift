import CWasixNet
import WasixNet

/// A value the compiler cannot prove thread-safe but that is: C function pointers and the
/// embedder's context pointers, which the embedder promises may be used from any thread.
struct EmbedderValue<Value>: @unchecked Sendable {
    let value: Value
}

/// The `wasixnet_port_t *` handed to C is a retained `Port`.
enum PortHandle {
    static func make(_ port: Port) -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(port).toOpaque()) }

    static func borrow(_ port: Port) -> OpaquePointer { OpaquePointer(Unmanaged.passUnretained(port).toOpaque()) }

    static func release(_ handle: OpaquePointer) { Unmanaged<Port>.fromOpaque(UnsafeRawPointer(handle)).release() }

    /// Runs `body` on the port behind `handle` without retaining it; EFAULT for NULL.
    @inline(__always)
    static func with(_ handle: OpaquePointer?, _ body: (Port) -> WasixErrno) -> wasixnet_errno_t {
        guard let handle else { return WasixErrno.fault.rawValue }
        return Unmanaged<Port>.fromOpaque(UnsafeRawPointer(handle))._withUnsafeGuaranteedRef(body).rawValue
    }

    /// The port's configuration from C: nil config takes every default.
    static func configuration(_ config: UnsafePointer<wasixnet_port_config_t>?) -> Result<Port.Configuration, WasixErrno> {
        var configuration = Port.Configuration()
        guard let raw = config else { return .success(configuration) }
        guard raw.pointee.struct_size >= UInt32(MemoryLayout<wasixnet_port_config_t>.size) else { return .failure(.inval) }
        let config = raw.pointee
        guard config.flags & ~UInt32(WASIXNET_PORT_ENFORCE_ROUTES) == 0 else { return .failure(.inval) }
        configuration.enforceRoutes = config.flags & UInt32(WASIXNET_PORT_ENFORCE_ROUTES) != 0
        configuration.maxRoutes = Int(config.max_routes == 0 ? WASIXNET_PORT_DEFAULT_MAX_ROUTES : config.max_routes)
        configuration.maxAddresses = Int(config.max_addrs == 0 ? WASIXNET_PORT_DEFAULT_MAX_ADDRS : config.max_addrs)
        if config.has_mac != 0 {
            configuration.mac = withUnsafeBytes(of: config.mac) { MACAddress(Array($0)) }
        }
        if let clock = config.clock {
            let call = EmbedderValue(value: (clock, config.clock_ctx))
            configuration.clock = { call.value.0(call.value.1) }
        }
        let context = EmbedderValue(value: config.hooks_ctx)
        if let bridge = config.bridge {
            let hook = EmbedderValue(value: bridge)
            configuration.hooks.bridge = { network, token, security in
                WasixErrno(rawValue: hook.value(context.value, network.baseAddress?.assumingMemoryBound(to: CChar.self),
                                                network.count, token.baseAddress?.assumingMemoryBound(to: CChar.self),
                                                token.count, security))
            }
        }
        if let unbridge = config.unbridge {
            let hook = EmbedderValue(value: unbridge)
            configuration.hooks.unbridge = { WasixErrno(rawValue: hook.value(context.value)) }
        }
        if let dhcpAcquire = config.dhcp_acquire {
            let hook = EmbedderValue(value: dhcpAcquire)
            configuration.hooks.dhcpAcquire = { port in WasixErrno(rawValue: hook.value(context.value, borrow(port))) }
        }
        return .success(configuration)
    }
}

@c(wasixnet_port_new)
public func wasixnetPortNew(_ config: UnsafePointer<wasixnet_port_config_t>?,
                            _ out: UnsafeMutablePointer<OpaquePointer?>?) -> wasixnet_errno_t {
    guard let out else { return WasixErrno.fault.rawValue }
    switch PortHandle.configuration(config) {
    case .failure(let error):
        return error.rawValue
    case .success(let configuration):
        out.pointee = PortHandle.make(Port(configuration))
        return WasixErrno.success.rawValue
    }
}

@c(wasixnet_port_free)
public func wasixnetPortFree(_ port: OpaquePointer?) {
    if let port { PortHandle.release(port) }
}
