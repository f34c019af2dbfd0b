// examples/cpp/main.cpp: wasixnet from C++17 through wasixnet.hpp: a port's routes, the list
// protocol as a view, errors as values, and a batch of UDP datagrams over loopback.
//
// A test as well: every step is compared with what it must give, and the first difference ends
// the program with "example_cpp FAILED: ..." and exit status 1.
//
//   g++ -std=c++17 -Wall -Wextra main.cpp $(pkg-config --cflags --libs wasixnet) -o example_cpp
#include "wasixnet.hpp"

#include <poll.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace wasixnet;

namespace {

constexpr Timestamp SEC = 1000000000u;

[[noreturn]] void fail(const std::string &what)
{
    std::fflush(stdout);
    std::fprintf(stderr, "example_cpp FAILED: %s\n", what.c_str());
    std::exit(1);
}

void expect(bool ok, const std::string &what)
{
    if (!ok)
        fail(what);
}

void expect_errno(Errno got, Errno want, const std::string &what)
{
    std::printf("  %-58s -> %s\n", what.c_str(), got.name());
    expect(got == want, what + ": expected " + want.name() + ", got " + got.name());
}

// Text forms that must parse (a typo in this file is a bug, not a test result).
Address addr(const char *text)
{
    std::optional<Address> a = Address::parse(text);
    expect(a.has_value(), std::string("not an address: ") + text);
    return *a;
}

Cidr cidr(const char *text)
{
    std::optional<Cidr> c = Cidr::parse(text);
    expect(c.has_value(), std::string("not a CIDR: ") + text);
    return *c;
}

// Checks a list of routes against their expected text, in order.
void expect_routes(span<const Route> got, const std::vector<std::string> &want, const char *what)
{
    expect(got.size() == want.size(), std::string(what) + ": " + std::to_string(got.size()) + " routes, expected " +
                                          std::to_string(want.size()));
    for (std::size_t i = 0; i < got.size(); i++) {
        std::printf("    %zu  %s\n", i + 1, got[i].to_string().c_str());
        expect(got[i].to_string() == want[i], std::string(what) + ": route " + std::to_string(i + 1) + " is " +
                                                  got[i].to_string() + ", expected " + want[i]);
    }
}

Timestamp now = 1000 * SEC; // the port's clock: this program moves it
Timestamp read_clock(void *ctx) { return *static_cast<Timestamp *>(ctx); }

void routes_demo()
{
    std::printf("== A port and its routes ==\n");
    Port::Config config;
    config.mac = Mac{0x02, 0x00, 0x00, 0xc0, 0xff, 0xee};
    config.clock = read_clock;
    config.clock_ctx = &now;
    Result<Port> made = Port::create(config);
    expect(made.ok(), std::string("Port::create: ") + made.error().name());
    Port port = std::move(made).value();

    expect_errno(port.add_address(cidr("10.0.0.5/24")), WASIXNET_ESUCCESS, "add_address 10.0.0.5/24");
    expect_errno(port.add_route(cidr("192.168.0.0/16"), addr("10.0.0.1")), WASIXNET_ESUCCESS,
                 "add_route 192.168.0.0/16 via 10.0.0.1");
    expect_errno(port.add_route(cidr("192.168.7.0/24"), addr("10.0.0.2"), 1300 * SEC, 1600 * SEC), WASIXNET_ESUCCESS,
                 "add_route 192.168.7.0/24 via 10.0.0.2, lifetimes 1300s/1600s");
    expect_errno(port.add_route(cidr("2001:db8:2::/48"), addr("fe80::1%2")), WASIXNET_ESUCCESS,
                 "add_route 2001:db8:2::/48 via fe80::1%2");
    expect_errno(port.add_route(cidr("172.16.0.0/12")), WASIXNET_ESUCCESS, "add_route 172.16.0.0/12 on-link");

    // Errors are values: nothing to catch, and nothing changed.
    expect_errno(port.add_route(cidr("192.168.7.0/24"), addr("10.0.0.9")), WASIXNET_EEXIST,
                 "add_route 192.168.7.0/24 again");
    expect_errno(port.add_route(cidr("10.1.2.3/24"), addr("10.0.0.1")), WASIXNET_EINVAL,
                 "add_route 10.1.2.3/24 (host bits set)");
    expect(!Cidr::parse("10.0.0.0/x") && !Address::parse("10.0.0.1%x"), "bad text must not parse");

    const std::vector<std::string> table = {
        "192.168.0.0/16 via 10.0.0.1",
        "192.168.7.0/24 via 10.0.0.2 preferred<1300s expires<1600s",
        "2001:db8:2::/48 via fe80::1%2",
        "172.16.0.0/12 on-link",
    };

    // The list protocol through a view: room for 2 gives 2 routes and the real total.
    Route room[2];
    Result<Listing<Route>> listed = port.list_routes(room);
    expect(listed.ok(), "list_routes into room for 2");
    std::printf("  list_routes into room for 2: %zu written, %u in all, complete: %s\n", listed->written.size(),
                unsigned(listed->total), listed->complete() ? "yes" : "no");
    expect(listed->total == 4 && !listed->complete(), "list_routes into room for 2: total 4, incomplete");
    expect_routes(listed->written, {table[0], table[1]}, "list_routes into room for 2");

    Result<std::vector<Route>> all = port.routes();
    expect(all.ok(), "routes()");
    std::printf("  routes(): all of them, in the order they were added\n");
    expect_routes(*all, table, "routes()");

    Result<Port::Lookup> hop = port.lookup(addr("192.168.7.9"));
    expect(hop.ok() && hop->route.to_string() == table[1], "lookup 192.168.7.9 takes the /24");
    std::printf("  lookup 192.168.7.9 -> %s\n", hop->route.to_string().c_str());

    expect_errno(port.set_gateway(addr("10.0.0.1")), WASIXNET_ESUCCESS, "set_gateway 10.0.0.1");
    now = 1600 * SEC; // the /24's expires_at: gone from now on
    std::printf("  (the clock moves to t=1600s)\n");
    all = port.routes();
    expect(all.ok(), "routes() at t=1600s");
    expect_routes(*all, {table[0], table[2], table[3], "0.0.0.0/0 via 10.0.0.1"}, "routes() at t=1600s");

    Result<Mac> mac = port.mac();
    expect(mac.ok() && *mac == *config.mac, "mac() is the configured MAC");
    std::printf("  mac() -> %02x:%02x:%02x:%02x:%02x:%02x\n", (*mac)[0], (*mac)[1], (*mac)[2], (*mac)[3], (*mac)[4],
                (*mac)[5]);
} // the Port frees itself here

UdpSocket bound_socket(const char *what, const SocketAddress *peer)
{
    Result<UdpSocket, SockStatus> made = UdpSocket::create(WASIXNET_IP_FAMILY_IPV4);
    expect(made.ok(), std::string(what) + ": create: " + made.error().name());
    UdpSocket socket = std::move(made).value();
    SockStatus s = socket.bind(SocketAddress::ipv4({127, 0, 0, 1}, 0));
    expect(s.ok(), std::string(what) + ": bind: " + s.name());
    s = socket.stream(peer);
    expect(s.ok(), std::string(what) + ": stream: " + s.name());
    return socket;
}

void udp_demo()
{
    std::printf("== A batch of UDP datagrams over loopback ==\n");
    UdpSocket receiver = bound_socket("receiver", nullptr);
    SocketAddress to = receiver.local_address().value();
    UdpSocket sender = bound_socket("sender", &to);
    std::printf("  sender %s -> receiver %s\n", sender.local_address()->to_string().c_str(), to.to_string().c_str());

    // The batch is a span of views of these strings: nothing is copied before the kernel does.
    const std::vector<std::string> payloads = {"one", "two", "three", "four", ""};
    std::vector<wasixnet_outgoing_datagram_t> batch;
    for (const std::string &p : payloads)
        batch.push_back(datagram(span<const std::uint8_t>(reinterpret_cast<const std::uint8_t *>(p.data()), p.size())));

    Result<std::uint64_t, SockStatus> permits = sender.check_send();
    expect(permits.ok() && *permits >= batch.size(), "check_send grants the batch");
    Result<std::uint64_t, SockStatus> sent = sender.send(batch);
    expect(sent.ok(), std::string("send: ") + sent.error().name());
    std::printf("  check_send -> %llu permits; send(%zu datagrams) -> %llu sent\n",
                static_cast<unsigned long long>(*permits), batch.size(), static_cast<unsigned long long>(*sent));
    expect(*sent == batch.size(), "send sends the whole batch");

    // A second send without check_send breaks the protocol: the status says trap.
    Result<std::uint64_t, SockStatus> again = sender.send(batch);
    expect(!again.ok() && again.error().is_trap(), "send without check_send must be a trap");
    std::printf("  send again without check_send -> %s\n", again.error().name());

    std::vector<std::array<std::uint8_t, 64>> buffers(8);
    std::vector<wasixnet_incoming_datagram_t> slots(buffers.size());
    for (std::size_t i = 0; i < slots.size(); i++)
        slots[i] = {buffers[i].data(), buffers[i].size(), 0, 0, {}};
    std::size_t got = 0;
    for (int round = 0; got < payloads.size() && round < 20; round++) { // 20 x 100 ms at most
        pollfd pfd = {receiver.fd(), POLLIN, 0};
        if (receiver.pending() == 0 && poll(&pfd, 1, 100) <= 0) // held datagrams leave the fd unreadable
            continue;
        Result<span<wasixnet_incoming_datagram_t>, SockStatus> in =
            receiver.receive(span<wasixnet_incoming_datagram_t>(slots.data() + got, slots.size() - got));
        expect(in.ok(), std::string("receive: ") + in.error().name());
        got += in->size();
    }
    expect(got == payloads.size(), "all " + std::to_string(payloads.size()) + " datagrams arrive, got " +
                                       std::to_string(got));
    for (std::size_t i = 0; i < got; i++) {
        std::string text(reinterpret_cast<const char *>(slots[i].data), slots[i].len);
        std::printf("    received \"%s\" from %s\n", text.c_str(),
                    SocketAddress{slots[i].remote_address}.to_string().c_str());
        expect(text == payloads[i], "datagram " + std::to_string(i + 1) + " is \"" + text + "\"");
        expect(SocketAddress{slots[i].remote_address} == *sender.local_address(), "datagram from the sender");
    }
}

} // namespace

int main()
{
    if (wasixnet_abi_version() != WASIXNET_ABI_VERSION)
        fail("the library's ABI is not the header's");
    std::printf("wasixnet %s from C++17 (wasixnet.hpp)\n", wasixnet_version());
    routes_demo();
    udp_demo();
    std::printf("example_cpp OK\n");
    return 0;
}
