// wasixnet.hpp: a small header-only C++17 face for libwasixnet.
//
// What it adds to the C header, and nothing more:
//   - RAII handles: Port and UdpSocket own their C handle, move but never copy, free it once.
//   - Errors as values: a call answers Errno / SockStatus, or Result<T> holding a T or the error.
//     Nothing here throws, so it builds with -fno-exceptions.
//   - Views instead of (pointer, count) pairs: span<T>, a minimal std::span (C++17 has none;
//     under C++20 it is std::span itself).
//   - Value types with text: Address, Cidr, Route, SocketAddress parse and print themselves, and
//     each is layout-identical to its C struct, so a span of them is what the C call takes.
//
//   g++ -std=c++17 main.cpp $(pkg-config --cflags --libs wasixnet)
#ifndef WASIXNET_HPP
#define WASIXNET_HPP

#include <wasixnet.h>

#include <arpa/inet.h>

#include <array>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if __cplusplus >= 202002L
#include <span>
#endif

namespace wasixnet {

// ------------------------------------------------------------------------------------------------
// span
// ------------------------------------------------------------------------------------------------
#if __cplusplus >= 202002L
template <class T> using span = std::span<T>;
#else
template <class T> class span {
public:
    constexpr span() noexcept = default;
    constexpr span(T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <std::size_t N> constexpr span(T (&array)[N]) noexcept : data_(array), size_(N) {}
    // Any contiguous container: std::vector, std::array, std::string, a span of non-const T.
    template <class C, class = std::enable_if_t<std::is_convertible_v<decltype(std::declval<C &>().data()), T *>>>
    constexpr span(C &c) noexcept : data_(c.data()), size_(c.size()) {}

    constexpr T *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T &operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }
    constexpr span first(std::size_t n) const noexcept { return span(data_, n < size_ ? n : size_); }

private:
    T *data_ = nullptr;
    std::size_t size_ = 0;
};
#endif

// ------------------------------------------------------------------------------------------------
// Errors as values
// ------------------------------------------------------------------------------------------------

// A WASIX errno, as every port call answers it.
class Errno {
public:
    constexpr Errno(wasixnet_errno_t value = WASIXNET_ESUCCESS) noexcept : value_(value) {}
    constexpr bool ok() const noexcept { return value_ == WASIXNET_ESUCCESS; }
    constexpr wasixnet_errno_t value() const noexcept { return value_; }
    const char *name() const noexcept { return wasixnet_errno_name(value_); }
    friend constexpr bool operator==(Errno a, Errno b) noexcept { return a.value_ == b.value_; }
    friend constexpr bool operator!=(Errno a, Errno b) noexcept { return a.value_ != b.value_; }

private:
    wasixnet_errno_t value_;
};

// A wasi:sockets status: ok, an error-code, or trap (the guest broke the protocol).
class SockStatus {
public:
    constexpr SockStatus(wasixnet_sock_status_t value = WASIXNET_SOCK_OK) noexcept : value_(value) {}
    constexpr bool ok() const noexcept { return value_ == WASIXNET_SOCK_OK; }
    constexpr bool is_trap() const noexcept { return value_ == WASIXNET_SOCK_TRAP; }
    constexpr wasixnet_sock_status_t value() const noexcept { return value_; }
    const char *name() const noexcept { return wasixnet_sock_status_name(value_); }
    friend constexpr bool operator==(SockStatus a, SockStatus b) noexcept { return a.value_ == b.value_; }
    friend constexpr bool operator!=(SockStatus a, SockStatus b) noexcept { return a.value_ != b.value_; }

private:
    wasixnet_sock_status_t value_;
};

// A T, or the error that kept it from being made. value() on an error is a bug (asserted).
template <class T, class E = Errno> class Result {
public:
    Result(T value) : value_(std::move(value)) {}
    Result(E error) : error_(error) { assert(!error.ok()); }

    bool ok() const noexcept { return value_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    E error() const noexcept { return error_; }
    T &value() & { assert(ok()); return *value_; }
    const T &value() const & { assert(ok()); return *value_; }
    T &&value() && { assert(ok()); return std::move(*value_); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T &&operator*() && { return std::move(*this).value(); }

private:
    std::optional<T> value_;
    E error_{};
};

// ------------------------------------------------------------------------------------------------
// Values: each wraps its C struct as its only member, so spans of them pass straight to C
// ------------------------------------------------------------------------------------------------

using Timestamp = wasixnet_timestamp_t; // nanoseconds on the port's clock

namespace detail {
inline std::string ip6_text(const wasixnet_addr_ip6_t &ip)
{
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, ip.octets, text, sizeof text);
    std::uint32_t scope = std::uint32_t(ip.scope_id1) << 16 | ip.scope_id0;
    return scope ? std::string(text) + "%" + std::to_string(scope) : std::string(text);
}

// Decimal digits only, at most `max` (std::stoul would throw, and accepts signs and spaces).
inline std::optional<std::uint32_t> parse_uint(std::string_view digits, std::uint32_t max)
{
    std::uint64_t v = 0;
    if (digits.empty() || digits.size() > 10)
        return std::nullopt;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + std::uint64_t(c - '0');
    }
    return v <= max ? std::optional<std::uint32_t>(std::uint32_t(v)) : std::nullopt;
}

// "fe80::1%2" -> the address text and the scope id (0 without one; nullopt if it is not a number).
inline std::optional<std::uint32_t> split_scope(std::string_view text, std::string &ip)
{
    std::size_t percent = text.find('%');
    ip = std::string(text.substr(0, percent));
    if (percent == std::string_view::npos)
        return 0;
    return parse_uint(text.substr(percent + 1), UINT32_MAX);
}
} // namespace detail

class Address {
public:
    wasixnet_addr_t raw{}; // zeroed: unused bytes must not look like data

    // An on-link "router": tag unspec.
    static Address on_link() noexcept { return Address(); }

    // "10.0.0.1", "2001:db8::1", "fe80::1%2"; nullopt for anything else.
    static std::optional<Address> parse(std::string_view text)
    {
        Address a;
        std::string ip;
        std::optional<std::uint32_t> scope = detail::split_scope(text, ip);
        if (!scope) {
            return std::nullopt;
        } else if (inet_pton(AF_INET, ip.c_str(), a.raw.u.inet4) == 1 && *scope == 0) {
            a.raw.tag = WASIXNET_ADDRESS_FAMILY_INET4;
        } else if (inet_pton(AF_INET6, ip.c_str(), a.raw.u.inet6.octets) == 1) {
            a.raw.tag = WASIXNET_ADDRESS_FAMILY_INET6;
            a.raw.u.inet6.scope_id1 = std::uint16_t(*scope >> 16);
            a.raw.u.inet6.scope_id0 = std::uint16_t(*scope);
        } else {
            return std::nullopt;
        }
        return a;
    }

    std::string to_string() const
    {
        char text[INET_ADDRSTRLEN];
        switch (raw.tag) {
        case WASIXNET_ADDRESS_FAMILY_INET4: return inet_ntop(AF_INET, raw.u.inet4, text, sizeof text);
        case WASIXNET_ADDRESS_FAMILY_INET6: return detail::ip6_text(raw.u.inet6);
        case WASIXNET_ADDRESS_FAMILY_UNSPEC: return "on-link";
        default: return "<family " + std::to_string(raw.tag) + ">";
        }
    }
};

class Cidr {
public:
    wasixnet_addr_cidr_t raw{};

    // "192.168.0.0/16", "2001:db8::/32"; nullopt for anything else.
    static std::optional<Cidr> parse(std::string_view text)
    {
        std::size_t slash = text.rfind('/');
        if (slash == std::string_view::npos)
            return std::nullopt;
        std::optional<Address> a = Address::parse(text.substr(0, slash));
        std::optional<std::uint32_t> prefix = detail::parse_uint(text.substr(slash + 1), 255);
        if (!a || !prefix)
            return std::nullopt; // a prefix too long for the family is the library's EINVAL to give
        Cidr c;
        c.raw.tag = a->raw.tag;
        if (a->raw.tag == WASIXNET_ADDRESS_FAMILY_INET4) {
            std::memcpy(c.raw.u.inet4.addr, a->raw.u.inet4, 4);
            c.raw.u.inet4.prefix = std::uint8_t(*prefix);
        } else {
            c.raw.u.inet6.addr = a->raw.u.inet6;
            c.raw.u.inet6.prefix = std::uint8_t(*prefix);
        }
        return c;
    }

    std::string to_string() const
    {
        Address a;
        a.raw.tag = raw.tag;
        if (raw.tag == WASIXNET_ADDRESS_FAMILY_INET4) {
            std::memcpy(a.raw.u.inet4, raw.u.inet4.addr, 4);
            return a.to_string() + "/" + std::to_string(raw.u.inet4.prefix);
        }
        a.raw.u.inet6 = raw.u.inet6.addr;
        return a.to_string() + "/" + std::to_string(raw.u.inet6.prefix);
    }
};

inline wasixnet_option_timestamp_t option_timestamp(std::optional<Timestamp> t) noexcept
{
    wasixnet_option_timestamp_t o{};
    o.tag = t ? WASIXNET_OPTION_SOME : WASIXNET_OPTION_NONE;
    o.value = t.value_or(0);
    return o;
}

class Route {
public:
    wasixnet_route_t raw{};

    Cidr destination() const { return Cidr{raw.cidr}; }
    Address via() const { return Address{raw.via_router}; }
    std::optional<Timestamp> preferred_until() const { return optional(raw.preferred_until); }
    std::optional<Timestamp> expires_at() const { return optional(raw.expires_at); }

    // "192.168.7.0/24 via 10.0.0.2 preferred<1300s expires<1600s"
    std::string to_string() const
    {
        std::string s = destination().to_string() + (raw.via_router.tag ? " via " : " ") + via().to_string();
        if (auto t = preferred_until())
            s += " preferred<" + std::to_string(*t / 1000000000u) + "s";
        if (auto t = expires_at())
            s += " expires<" + std::to_string(*t / 1000000000u) + "s";
        return s;
    }

private:
    static std::optional<Timestamp> optional(const wasixnet_option_timestamp_t &t)
    {
        return t.tag == WASIXNET_OPTION_SOME ? std::optional<Timestamp>(t.value) : std::nullopt;
    }
};

static_assert(sizeof(Address) == sizeof(wasixnet_addr_t) && std::is_standard_layout_v<Address>);
static_assert(sizeof(Cidr) == sizeof(wasixnet_addr_cidr_t) && std::is_standard_layout_v<Cidr>);
static_assert(sizeof(Route) == sizeof(wasixnet_route_t) && std::is_standard_layout_v<Route>);

using Mac = std::array<std::uint8_t, 6>;

// ------------------------------------------------------------------------------------------------
// Port: one guest's network interface
// ------------------------------------------------------------------------------------------------

// What port_route_list / port_addr_list answer: how many there are in all, and the entries that
// fit. `complete` is false exactly when the C call said EOVERFLOW.
template <class T> struct Listing {
    std::uint32_t total = 0;
    span<T> written;
    bool complete() const noexcept { return written.size() == total; }
};

struct PortConfig {
    std::optional<Mac> mac;                      // nullopt: a random locally administered MAC
    std::uint32_t flags = 0;                     // WASIXNET_PORT_ENFORCE_ROUTES
    std::uint32_t max_routes = 0, max_addrs = 0; // 0: the library's defaults
    Timestamp (*clock)(void *ctx) = nullptr;     // nullptr: CLOCK_REALTIME
    void *clock_ctx = nullptr;
};

class Port {
public:
    using Config = PortConfig;

    static Result<Port> create(const Config &config = {})
    {
        wasixnet_port_config_t c{};
        c.struct_size = sizeof c;
        c.flags = config.flags;
        c.max_routes = config.max_routes;
        c.max_addrs = config.max_addrs;
        if (config.mac) {
            std::memcpy(c.mac, config.mac->data(), 6);
            c.has_mac = 1;
        }
        c.clock = config.clock;
        c.clock_ctx = config.clock_ctx;
        wasixnet_port_t *p = nullptr;
        Errno e = wasixnet_port_new(&c, &p);
        if (!e.ok())
            return e;
        return Port(p);
    }

    Port(Port &&other) noexcept : port_(std::exchange(other.port_, nullptr)) {}
    Port &operator=(Port &&other) noexcept
    {
        std::swap(port_, other.port_);
        return *this;
    }
    Port(const Port &) = delete;
    Port &operator=(const Port &) = delete;
    ~Port() { wasixnet_port_free(port_); }

    // The C handle, for what this wrapper does not cover (the guest-memory calls of a runtime).
    wasixnet_port_t *get() const noexcept { return port_; }

    Errno add_address(const Cidr &address) { return wasixnet_port_addr_add(port_, &address.raw); }
    Errno set_gateway(const Address &router) { return wasixnet_port_gateway_set(port_, &router.raw); }
    Errno remove_route(const Address &destination) { return wasixnet_port_route_remove(port_, &destination.raw); }
    Errno clear_routes() { return wasixnet_port_route_clear(port_); }

    Errno add_route(const Cidr &destination, const Address &via = Address::on_link(),
                    std::optional<Timestamp> preferred_until = std::nullopt,
                    std::optional<Timestamp> expires_at = std::nullopt)
    {
        wasixnet_option_timestamp_t preferred = option_timestamp(preferred_until);
        wasixnet_option_timestamp_t expires = option_timestamp(expires_at);
        return wasixnet_port_route_add(port_, &destination.raw, &via.raw, &preferred, &expires);
    }

    Result<Mac> mac() const
    {
        wasixnet_hardware_address_t m;
        Errno e = wasixnet_port_mac(port_, &m);
        if (!e.ok())
            return e;
        Mac out;
        std::memcpy(out.data(), m.octets, out.size());
        return out;
    }

    // The routes into `out`, with the C list protocol turned into a Listing: no EOVERFLOW error,
    // just `total` beyond what was written.
    Result<Listing<Route>> list_routes(span<Route> out) const
    {
        Route none; // the C call wants a buffer even for a capacity of 0, and an empty span may have none
        std::uint32_t n = std::uint32_t(out.size());
        Errno e = wasixnet_port_route_list(port_, &(out.empty() ? &none : out.data())->raw, &n);
        if (!e.ok() && e != Errno(WASIXNET_EOVERFLOW))
            return e;
        return Listing<Route>{n, out.first(n)};
    }

    // Every route: lists into a vector, and again into one of the size the first call reported
    // when they did not fit (and again if routes were added in between).
    Result<std::vector<Route>> routes() const
    {
        std::vector<Route> all(16);
        for (;;) {
            Result<Listing<Route>> listing = list_routes(all);
            if (!listing)
                return listing.error();
            if (listing->total <= all.size()) {
                all.resize(listing->total);
                return all;
            }
            all.resize(listing->total);
        }
    }

    struct Lookup {
        Route route;
        bool deprecated;
    };
    Result<Lookup> lookup(const Address &destination) const
    {
        Lookup l{};
        std::uint8_t deprecated = 0;
        Errno e = wasixnet_port_route_lookup(port_, &destination.raw, &l.route.raw, &deprecated);
        if (!e.ok())
            return e;
        l.deprecated = deprecated != 0;
        return l;
    }

private:
    explicit Port(wasixnet_port_t *port) noexcept : port_(port) {}
    wasixnet_port_t *port_;
};

// ------------------------------------------------------------------------------------------------
// wasi:sockets/udp
// ------------------------------------------------------------------------------------------------

class SocketAddress {
public:
    wasixnet_ip_socket_address_t raw{};

    static SocketAddress ipv4(std::array<std::uint8_t, 4> octets, std::uint16_t port) noexcept
    {
        SocketAddress a;
        a.raw.tag = WASIXNET_IP_FAMILY_IPV4;
        a.raw.u.ipv4.port = port;
        std::memcpy(a.raw.u.ipv4.address, octets.data(), 4);
        return a;
    }
    std::uint16_t port() const noexcept { return raw.tag == WASIXNET_IP_FAMILY_IPV4 ? raw.u.ipv4.port : raw.u.ipv6.port; }

    std::string to_string() const
    {
        if (raw.tag != WASIXNET_IP_FAMILY_IPV4) {
            char text[64];
            const std::uint16_t *g = raw.u.ipv6.address;
            std::snprintf(text, sizeof text, "[%x:%x:%x:%x:%x:%x:%x:%x]:%u", g[0], g[1], g[2], g[3], g[4], g[5], g[6],
                          g[7], unsigned(raw.u.ipv6.port));
            return text;
        }
        const std::uint8_t *b = raw.u.ipv4.address;
        return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
               std::to_string(b[3]) + ":" + std::to_string(raw.u.ipv4.port);
    }
    friend bool operator==(const SocketAddress &a, const SocketAddress &b) noexcept
    {
        return std::memcmp(&a.raw, &b.raw, sizeof a.raw) == 0; // unused bytes are zero on both sides
    }
};

// One datagram to send: views of the caller's bytes and address, nothing copied.
inline wasixnet_outgoing_datagram_t datagram(span<const std::uint8_t> data, const SocketAddress *to = nullptr) noexcept
{
    return {data.data(), data.size(), to ? &to->raw : nullptr};
}

class UdpSocket {
public:
    // `port` (nullable) subjects the socket's sends to the port's routes when it enforces them.
    static Result<UdpSocket, SockStatus> create(std::uint8_t family, Port *port = nullptr)
    {
        wasixnet_udp_socket_t *s = nullptr;
        SockStatus st = wasixnet_udp_create(port ? port->get() : nullptr, family, &s);
        if (!st.ok())
            return st;
        return UdpSocket(s);
    }

    UdpSocket(UdpSocket &&other) noexcept : socket_(std::exchange(other.socket_, nullptr)) {}
    UdpSocket &operator=(UdpSocket &&other) noexcept
    {
        std::swap(socket_, other.socket_);
        return *this;
    }
    UdpSocket(const UdpSocket &) = delete;
    UdpSocket &operator=(const UdpSocket &) = delete;
    ~UdpSocket() { wasixnet_udp_free(socket_); }

    wasixnet_udp_socket_t *get() const noexcept { return socket_; }
    int fd() const noexcept { return wasixnet_udp_fd(socket_); }
    // Datagrams already taken from the kernel: receive has data when this is > 0 or fd() is
    // readable (wasixnet.h [udp.receive]).
    std::size_t pending() const noexcept { return wasixnet_udp_pending(socket_); }

    // start-bind and finish-bind in one.
    SockStatus bind(const SocketAddress &local)
    {
        SockStatus s = wasixnet_udp_start_bind(socket_, &local.raw);
        return s.ok() ? SockStatus(wasixnet_udp_finish_bind(socket_)) : s;
    }
    // Fresh streams to one peer, or to any (nullptr).
    SockStatus stream(const SocketAddress *remote) { return wasixnet_udp_stream(socket_, remote ? &remote->raw : nullptr); }

    Result<SocketAddress, SockStatus> local_address() const
    {
        SocketAddress a;
        SockStatus s = wasixnet_udp_local_address(socket_, &a.raw);
        if (!s.ok())
            return s;
        return a;
    }

    // How many datagrams the next send may take.
    Result<std::uint64_t, SockStatus> check_send()
    {
        std::uint64_t permits = 0;
        SockStatus s = wasixnet_udp_check_send(socket_, &permits);
        if (!s.ok())
            return s;
        return permits;
    }

    // The whole batch in one call (one sendmmsg): how many went.
    Result<std::uint64_t, SockStatus> send(span<const wasixnet_outgoing_datagram_t> batch)
    {
        std::uint64_t sent = 0;
        SockStatus s = wasixnet_udp_send(socket_, batch.data(), batch.size(), &sent);
        if (!s.ok())
            return s;
        return sent;
    }

    // What is queued, up to out.size() datagrams, into the buffers `out` describes; never blocks.
    Result<span<wasixnet_incoming_datagram_t>, SockStatus> receive(span<wasixnet_incoming_datagram_t> out)
    {
        std::size_t received = 0;
        SockStatus s = wasixnet_udp_receive(socket_, out.data(), out.size(), &received);
        if (!s.ok())
            return s;
        return out.first(received);
    }

private:
    explicit UdpSocket(wasixnet_udp_socket_t *socket) noexcept : socket_(socket) {}
    wasixnet_udp_socket_t *socket_;
};

} // namespace wasixnet

#endif // WASIXNET_HPP
