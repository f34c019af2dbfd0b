/* The counters behind WasixNet's read sections (Sources/WasixNet/System/ReadSection.swift says
 * what they are for and how a port uses them). Static storage, not allocated: loading and
 * unloading the library costs nothing lasting, and C11 atomics on static counters are what both
 * Swift builds can share (an array of Swift `Atomic`s cannot sit in static storage).
 *
 * The scheme is sleepable RCU's (Linux SRCU), polled instead of waited for:
 *   - A reader counts itself in on a stripe chosen by the CPU it runs on (two readers on two CPUs
 *     never write one cache line), under the parity of the current epoch, and counts itself out
 *     on the same stripe and parity (the token says which).
 *   - `epoch` counts flips. A flip happens only when the counters of the parity NOT in use have
 *     drained to zero; each flip is attempted by a writer's `try_advance`, never waited for.
 *   - Something unlinked before `epoch` read e is unreachable for every read section once the
 *     epoch is e + 3. Why three: the drain check of the flip to e + 1 may have run before the
 *     unlink (another writer's advance, interrupted between its check and its flip), so it proves
 *     nothing; the checks of the flips to e + 2 and e + 3 both ran after the unlink, one for each
 *     parity, and a reader that still held the old pointer had counted itself in before the unlink
 *     (a sequentially consistent increment before its load of the pointer, against the writer's
 *     unlink before its loads of the counters: the Dekker argument of userspace RCU), so whichever
 *     parity it counted under, one of those two checks saw it and did not pass until it left. A
 *     reader that read a stale parity and counts itself in after a check is not a danger: its
 *     load of the pointer comes after that check, so after the unlink.
 * All of it sequentially consistent; the reader's two read-modify-writes are its whole cost.
 *
 * What writers unlink waits in one process-wide queue, not one per port: a port that goes quiet
 * after its set-up would otherwise keep its last few retired tables until its next write, which
 * for thousands of idle guests is most of their memory. Any writer's retire advances the epoch
 * (every RETIRES_PER_ADVANCE-th retire: each flip is a store to a line every reader loads) and
 * frees what is old enough, whichever port it came from; freeing a port empties the queue when no
 * read section is open anywhere, so the library keeps nothing once its last port is gone. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <unistd.h>
#include "include/CWasixNetSystem.h"

enum { MAX_STRIPES = 64, LINE = 128 };

/* A stripe's two counters on a 128-byte line pair of their own (adjacent-line prefetch pairs
 * 64-byte lines). */
typedef struct stripe {
    _Alignas(LINE) _Atomic long readers[2];
} stripe_t;
_Static_assert(sizeof(stripe_t) == LINE, "one stripe a line pair");

static stripe_t stripes[MAX_STRIPES];
static _Atomic unsigned long epoch;
static _Atomic unsigned stripe_count; /* 0 until first used: min(configured CPUs, MAX_STRIPES) */

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
    unsigned count = stripes_in_use();
    /* A division only on machines with more CPUs than stripes: it is the slowest instruction here. */
    unsigned stripe = cpu < 0 ? 0 : (unsigned)cpu < count ? (unsigned)cpu : (unsigned)cpu % count;
    unsigned parity = (unsigned)(atomic_load(&epoch) & 1);
    atomic_fetch_add(&stripes[stripe].readers[parity], 1);
    return stripe << 1 | parity;
}

void CWasixNetSystem_read_exit(unsigned token)
{
    atomic_fetch_sub(&stripes[token >> 1].readers[token & 1], 1);
}

unsigned long CWasixNetSystem_read_epoch(void)
{
    atomic_thread_fence(memory_order_seq_cst); /* the caller's unlink comes before this load */
    return atomic_load(&epoch);
}

unsigned long CWasixNetSystem_read_try_advance(void)
{
    unsigned long seen = atomic_load(&epoch);
    unsigned idle = (unsigned)((seen + 1) & 1), count = stripes_in_use();
    for (unsigned s = 0; s < count; s++)
        if (atomic_load(&stripes[s].readers[idle]) != 0)
            return seen;
    /* Only one advancer flips from `seen`: another that checked the same parity meanwhile fails
     * here and reports the epoch it finds (its check is as good as ours, the flip is done). */
    atomic_compare_exchange_strong(&epoch, &seen, seen + 1);
    return atomic_load(&epoch);
}

/* ------------------------------------------------------------------------------------------ */
/* The retire queue                                                                           */
/* ------------------------------------------------------------------------------------------ */

enum { RETIRES_PER_ADVANCE = 8, EPOCHS_TO_SAFETY = CWasixNetSystem_EPOCHS_TO_SAFETY };

typedef struct retired {
    void *object;
    void (*release)(void *);
    unsigned long epoch;
} retired_t;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static retired_t *queue;        /* oldest first; NULL when empty */
static size_t queue_count, queue_capacity, retires_since_advance;

static bool no_reader_anywhere(void)
{
    unsigned count = stripes_in_use();
    for (unsigned s = 0; s < count; s++)
        if (atomic_load(&stripes[s].readers[0]) != 0 || atomic_load(&stripes[s].readers[1]) != 0)
            return false;
    return true;
}

/* Moves the first `n` queued items to `out` (which the caller frees after releasing them): with
 * the queue lock held. */
static retired_t *take_oldest(size_t n)
{
    if (n == 0)
        return NULL;
    retired_t *out = malloc(n * sizeof *out);
    if (!out)
        return NULL; /* keep them queued: a later call frees them */
    memcpy(out, queue, n * sizeof *out);
    memmove(queue, queue + n, (queue_count - n) * sizeof *queue);
    queue_count -= n;
    if (queue_count == 0) {
        free(queue);
        queue = NULL;
        queue_capacity = 0;
    }
    return out;
}

static void release_all(retired_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        items[i].release(items[i].object);
    free(items);
}

bool CWasixNetSystem_retire(void *object, void (*release)(void *))
{
    /* The caller's unlink (a release store) comes before the epoch read and the counter loads. */
    atomic_thread_fence(memory_order_seq_cst);
    pthread_mutex_lock(&queue_lock);
    if (queue_count == queue_capacity) {
        size_t capacity = queue_capacity ? 2 * queue_capacity : 16;
        retired_t *grown = realloc(queue, capacity * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&queue_lock);
            return false; /* the caller keeps the object (a leak, never a use after free) */
        }
        queue = grown;
        queue_capacity = capacity;
    }
    queue[queue_count++] = (retired_t){object, release, atomic_load(&epoch)};
    unsigned long now = atomic_load(&epoch);
    if (++retires_since_advance >= RETIRES_PER_ADVANCE) {
        retires_since_advance = 0;
        now = CWasixNetSystem_read_try_advance();
    }
    size_t safe = 0;
    while (safe < queue_count && queue[safe].epoch + EPOCHS_TO_SAFETY <= now)
        safe++;
    retired_t *freed = take_oldest(safe);
    pthread_mutex_unlock(&queue_lock);
    if (freed)
        release_all(freed, safe); /* outside the lock: a release may retire more */
    return true;
}

void CWasixNetSystem_reclaim_if_quiescent(void)
{
    atomic_thread_fence(memory_order_seq_cst);
    pthread_mutex_lock(&queue_lock);
    size_t n = queue_count;
    retired_t *freed = n && no_reader_anywhere() ? take_oldest(n) : NULL;
    pthread_mutex_unlock(&queue_lock);
    if (freed)
        release_all(freed, n);
}
