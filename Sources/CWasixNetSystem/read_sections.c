/* The counters of WasixNet's read sections (Sources/WasixNet/System/ReadSection.swift says why
 * they exist and how they are used). They are static storage, not allocated, so that loading and
 * unloading the library costs nothing lasting, and C11 atomics on them are what both Swift builds
 * can share: an array of Swift `Atomic`s cannot sit in static storage.
 *
 * Readers count themselves in on a stripe chosen by the CPU they run on, so two readers on two
 * CPUs never write the same cache line; each stripe has a counter per epoch parity. A waiter
 * flips the epoch (new readers count under the other parity) and waits for the old parity's
 * counters to drain, twice, so that it ends having seen every stripe's counter of both parities
 * at zero after it was called. All of it sequentially consistent: a reader's count-in comes
 * before its load of the published table, a writer's store of the new table before its first
 * look at the counters, so a reader that could still hold the old table is always counted when
 * the waiter looks (the Dekker argument of userspace RCU's "memb" flavour). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>
#include "include/CWasixNetSystem.h"

enum { MAX_STRIPES = 64, LINE = 128 };

/* Two counters to a 128-byte line of their own (adjacent-line prefetch pairs 64-byte lines). */
typedef struct stripe {
    _Alignas(LINE) _Atomic long readers[2];
} stripe_t;
_Static_assert(sizeof(stripe_t) == LINE, "one stripe a line pair");

static stripe_t stripes[MAX_STRIPES];
static _Atomic unsigned epoch;
static _Atomic unsigned stripe_count; /* 0 until first used: min(configured CPUs, MAX_STRIPES) */
static pthread_mutex_t waiting = PTHREAD_MUTEX_INITIALIZER;

static unsigned stripes_in_use(void)
{
    unsigned count = atomic_load_explicit(&stripe_count, memory_order_relaxed);
    if (count == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_CONF);
        count = cpus < 1 ? 1 : cpus > MAX_STRIPES ? MAX_STRIPES : (unsigned)cpus;
        atomic_store_explicit(&stripe_count, count, memory_order_relaxed); /* every thread stores the same */
    }
    return count;
}

unsigned CWasixNetSystem_read_enter(void)
{
    int cpu = sched_getcpu();
    unsigned stripe = cpu < 0 ? 0 : (unsigned)cpu % stripes_in_use();
    unsigned parity = atomic_load(&epoch) & 1;
    atomic_fetch_add(&stripes[stripe].readers[parity], 1);
    return stripe << 1 | parity;
}

void CWasixNetSystem_read_exit(unsigned token)
{
    atomic_fetch_sub(&stripes[token >> 1].readers[token & 1], 1);
}

void CWasixNetSystem_wait_for_readers(void)
{
    unsigned count = stripes_in_use();
    pthread_mutex_lock(&waiting);
    for (int phase = 0; phase < 2; phase++) {
        unsigned old = atomic_fetch_add(&epoch, 1) & 1;
        for (unsigned s = 0; s < count; s++)
            for (unsigned spins = 0; atomic_load(&stripes[s].readers[old]) != 0; spins++)
                if (spins >= 100)
                    sched_yield(); /* the reader may be preempted: let it run */
    }
    pthread_mutex_unlock(&waiting);
}
