/* fork() in a process that uses the library from several threads: a child must go on working.
 *
 * The parent keeps one thread looking routes up on one port without pause (so it is nearly always
 * inside a read section) and another adding and removing a route on a second port (so the retire
 * queue's lock is often held), and forks again and again. Each child, which has only the forking
 * thread, looks up every route of the reader's port, then makes a port of its own, adds and
 * removes a route on it 100,000 times, and reports how much its allocated memory grew. Every write
 * retires what it replaced, which is freed only once no read section that began before it is
 * open: a child that still counted the parent's reader (a thread it does not have) would free
 * nothing and grow by the megabytes it retired (20 MB, in 14 and in 19 children of 24 in two
 * runs before read_sections.c handled fork); a child forked while the writer held the retire
 * queue's lock would hang at its first write. Both fail here: the growth against a bound, the
 * hang against a time limit.
 *
 * Built through pkg-config and run on the installed library (make test-fork). */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wasixnet.h>

enum {
    FORKS = 24,
    CHILD_WRITES = 100000,   /* add + remove pairs in each child */
    CHILD_SECONDS = 30,      /* a child slower than this is taken to hang */
};
/* What a child may grow by: what waits in the retire queue for its grace period, a few blocks. A
 * child that frees nothing grows by every block its writes retired, megabytes. */
static const long GROWTH_LIMIT = 64 << 10;

static atomic_bool stop;

static void fail(const char *what, wasixnet_errno_t err)
{
    fprintf(stderr, "fork_test: %s: %s\n", what, wasixnet_errno_name(err));
    exit(1);
}

static wasixnet_port_t *new_port(void)
{
    wasixnet_port_config_t config;
    memset(&config, 0, sizeof config);
    config.struct_size = sizeof config;
    wasixnet_port_t *port = NULL;
    wasixnet_errno_t err = wasixnet_port_new(&config, &port);
    if (err != WASIXNET_ESUCCESS)
        fail("wasixnet_port_new", err);
    return port;
}

static wasixnet_addr_cidr_t cidr4(uint8_t a, uint8_t b, uint8_t c, uint8_t prefix)
{
    wasixnet_addr_cidr_t cidr;
    memset(&cidr, 0, sizeof cidr);
    cidr.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    cidr.u.inet4.addr[0] = a;
    cidr.u.inet4.addr[1] = b;
    cidr.u.inet4.addr[2] = c;
    cidr.u.inet4.prefix = prefix;
    return cidr;
}

static void add(wasixnet_port_t *port, wasixnet_addr_cidr_t cidr)
{
    static const wasixnet_addr_t on_link;
    static const wasixnet_option_timestamp_t none;
    wasixnet_errno_t err = wasixnet_port_route_add(port, &cidr, &on_link, &none, &none);
    if (err != WASIXNET_ESUCCESS)
        fail("wasixnet_port_route_add", err);
}

static void remove_route(wasixnet_port_t *port, wasixnet_addr_cidr_t cidr)
{
    wasixnet_addr_t address;
    memset(&address, 0, sizeof address);
    address.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    memcpy(address.u.inet4, cidr.u.inet4.addr, 4);
    wasixnet_errno_t err = wasixnet_port_route_remove(port, &address);
    if (err != WASIXNET_ESUCCESS)
        fail("wasixnet_port_route_remove", err);
}

static void *reader(void *arg)
{
    wasixnet_port_t *port = arg;
    wasixnet_addr_t destination;
    memset(&destination, 0, sizeof destination);
    destination.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    destination.u.inet4[0] = 10;
    wasixnet_route_t route;
    unsigned long found = 0;
    for (uint32_t i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
        destination.u.inet4[1] = (uint8_t)(i >> 8);
        destination.u.inet4[2] = (uint8_t)i;
        found += wasixnet_port_route_lookup(port, &destination, &route, NULL) == WASIXNET_ESUCCESS;
    }
    return (void *)found;
}

static void *writer(void *arg)
{
    wasixnet_port_t *port = arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        add(port, cidr4(192, 168, 7, 24));
        remove_route(port, cidr4(192, 168, 7, 0));
    }
    return NULL;
}

/* Bytes the process has allocated and not freed (glibc's count: heap chunks in use plus mmapped
 * blocks), so that what the library keeps is counted exactly, not by the page. */
static long allocated_bytes(void)
{
    struct mallinfo2 info = mallinfo2();
    return (long)(info.uordblks + info.hblkhd);
}

/* The child's whole life: exit status 0 when it reads the parent's port and frees what it retired,
 * 1 otherwise. */
static void child(wasixnet_port_t *parents)
{
    alarm(CHILD_SECONDS); /* a hang ends as SIGALRM, which the parent reports */
    wasixnet_addr_t destination;
    memset(&destination, 0, sizeof destination);
    destination.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    destination.u.inet4[0] = 10;
    wasixnet_route_t route;
    for (int i = 0; i < 256; i++) { /* the reader thread's port, which it was reading at the fork */
        destination.u.inet4[1] = (uint8_t)i;
        wasixnet_errno_t err = wasixnet_port_route_lookup(parents, &destination, &route, NULL);
        if (err != WASIXNET_ESUCCESS || route.cidr.u.inet4.prefix != 16) {
            fprintf(stderr, "fork_test: a child's lookup of 10.%d.0.0 in its parent's port: %s\n", i,
                    wasixnet_errno_name(err));
            _exit(1);
        }
    }
    wasixnet_port_t *port = new_port();
    for (int i = 0; i < 1000; i++) { /* the allocator's working set, before the baseline */
        add(port, cidr4(172, 16, 1, 24));
        remove_route(port, cidr4(172, 16, 1, 0));
    }
    long before = allocated_bytes();
    for (int i = 0; i < CHILD_WRITES; i++) {
        add(port, cidr4(172, 16, 1, 24));
        remove_route(port, cidr4(172, 16, 1, 0));
    }
    long grown = allocated_bytes() - before;
    wasixnet_port_free(port);
    if (grown > GROWTH_LIMIT) {
        fprintf(stderr, "fork_test: a child grew by %ld bytes over %d writes (limit %ld): it freed nothing it "
                "retired\n", grown, 2 * CHILD_WRITES, GROWTH_LIMIT);
        _exit(1);
    }
    _exit(0);
}

int main(void)
{
    wasixnet_port_t *looked_up = new_port(), *written = new_port();
    for (int i = 0; i < 256; i++)
        add(looked_up, cidr4(10, (uint8_t)i, 0, 16));
    pthread_t threads[2];
    pthread_create(&threads[0], NULL, reader, looked_up);
    pthread_create(&threads[1], NULL, writer, written);

    int failures = 0;
    for (int round = 0; round < FORKS; round++) {
        struct timespec pause = {0, 2000000 + 500000 * round}; /* the threads at a different point each time */
        nanosleep(&pause, NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork_test: fork");
            return 1;
        }
        if (pid == 0)
            child(looked_up);
        int status = 0;
        if (waitpid(pid, &status, 0) != pid) {
            perror("fork_test: waitpid");
            return 1;
        }
        if (WIFSIGNALED(status)) {
            fprintf(stderr, "fork_test: child %d ended by signal %d%s\n", round, WTERMSIG(status),
                    WTERMSIG(status) == SIGALRM ? " (it hung)" : "");
            failures++;
        } else if (WEXITSTATUS(status) != 0) {
            failures++;
        }
    }
    atomic_store(&stop, true);
    void *found = NULL;
    pthread_join(threads[0], &found);
    pthread_join(threads[1], NULL);
    wasixnet_port_free(looked_up);
    wasixnet_port_free(written);
    if (failures) {
        fprintf(stderr, "fork_test: %d of %d children failed\n", failures, FORKS);
        return 1;
    }
    printf("fork_test: %d children forked beside a reader (%lu lookups found) and a writer each freed what it "
           "retired and ended\n", FORKS, (unsigned long)found);
    return 0;
}
