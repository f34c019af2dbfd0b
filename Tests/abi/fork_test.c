/* fork() in a process that uses the library from several threads: a child must go on working.
 * And first, in a child of its own, a process whose seccomp filter refuses membarrier after the
 * library registered for it: a writer must then free nothing (`refused_barrier_child`).
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
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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

/* A process whose seccomp filter refuses membarrier after the library registered for it (the
 * header's [port.concurrency]: nothing written over is freed from then on, and nothing early).
 * Run in a child of its own, since a filter cannot be taken off. A writer that ignored the refusal
 * would trust counts no barrier ordered and free as usual: the child would not grow. Exit status
 * 0 when it grew by what it retired and every lookup still answered, 1 when not, SKIPPED_STATUS
 * when the kernel has no private expedited membarrier or refuses the filter. */
enum { SKIPPED_STATUS = 77 };
static atomic_bool registered;

static void *register_and_wait(void *arg)
{
    wasixnet_port_t *port = arg;
    wasixnet_addr_t destination;
    memset(&destination, 0, sizeof destination);
    destination.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    wasixnet_route_t route;
    wasixnet_port_route_lookup(port, &destination, &route, NULL); /* this thread now has a slot */
    atomic_store(&registered, true);
    while (!atomic_load(&stop))
        sched_yield();
    return NULL;
}

static bool refuse_membarrier(void)
{
#if defined(__x86_64__)
    const uint32_t arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    const uint32_t arch = AUDIT_ARCH_AARCH64;
#else
    return false;
#endif
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_membarrier, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {sizeof filter / sizeof *filter, filter};
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program) == 0;
}

static void refused_barrier_child(void)
{
    alarm(CHILD_SECONDS);
    long supported = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (supported < 0 || !(supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) || !refuse_membarrier())
        _exit(SKIPPED_STATUS);
    wasixnet_port_t *port = new_port();
    add(port, cidr4(172, 16, 2, 24));
    pthread_t other; /* another thread with a slot: a writer's check now asks for the barrier */
    pthread_create(&other, NULL, register_and_wait, port);
    while (!atomic_load(&registered))
        sched_yield();
    long before = allocated_bytes();
    for (int i = 0; i < CHILD_WRITES; i++) {
        add(port, cidr4(172, 16, 1, 24));
        remove_route(port, cidr4(172, 16, 1, 0));
    }
    long grown = allocated_bytes() - before;
    wasixnet_addr_t kept;
    memset(&kept, 0, sizeof kept);
    kept.tag = WASIXNET_ADDRESS_FAMILY_INET4;
    memcpy(kept.u.inet4, (uint8_t[]){172, 16, 2, 9}, 4);
    wasixnet_route_t route;
    bool answers = wasixnet_port_route_lookup(port, &kept, &route, NULL) == WASIXNET_ESUCCESS &&
                   route.cidr.u.inet4.prefix == 24;
    atomic_store(&stop, true);
    pthread_join(other, NULL);
    if (!answers || grown < 64 * GROWTH_LIMIT) {
        fprintf(stderr, "fork_test: with membarrier refused, a child grew by %ld bytes over %d writes (expected "
                "more than %ld: nothing freed), lookups %s\n", grown, 2 * CHILD_WRITES, 64 * GROWTH_LIMIT,
                answers ? "right" : "wrong");
        _exit(1);
    }
    _exit(0);
}

/* The refused-barrier child's verdict: 0 passed, 1 failed, and a note when it could not run. */
static int run_refused_barrier_child(void)
{
    pid_t pid = fork();
    if (pid == 0)
        refused_barrier_child();
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        perror("fork_test: refused-barrier child");
        return 1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == SKIPPED_STATUS) {
        printf("fork_test: SKIPPED the refused-membarrier child (no private expedited membarrier, or no seccomp)\n");
        return 0;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "fork_test: the refused-membarrier child failed (status %#x)\n", status);
        return 1;
    }
    printf("fork_test: with membarrier refused after registration, a writer freed nothing and lookups held\n");
    return 0;
}

int main(void)
{
    if (run_refused_barrier_child())
        return 1;

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
