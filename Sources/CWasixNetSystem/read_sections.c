/* The counters behind WasixNet's read sections (Sources/WasixNet/System/ReadSection.swift says
 * what they are for and how a port uses them). C11 atomics, which both Swift builds can share.
 *
 * The scheme is sleepable RCU's (Linux SRCU), polled instead of waited for:
 *   - A reader counts itself in on its own thread's slot (two readers on two threads never write
 *     one cache line), under the parity of the current epoch, and counts itself out on the same
 *     slot and parity (the token says which).
 *   - `epoch` counts flips. A flip happens only when the counters of the parity NOT in use have
 *     drained to zero in every slot; each flip is attempted by a writer's `try_advance`, never
 *     waited for.
 *   - Something unlinked before `epoch` read e is unreachable for every read section once the
 *     epoch is e + 3. Why three: the drain check of the flip to e + 1 may have run before the
 *     unlink (another writer's advance, interrupted between its check and its flip), so it proves
 *     nothing; the checks of the flips to e + 2 and e + 3 both ran after the unlink, one for each
 *     parity, and a reader that still held the old pointer had counted itself in before the unlink
 *     (its count before its load of the pointer, against the writer's unlink before its loads of
 *     the counts, each pair ordered by a full barrier: the Dekker argument of userspace RCU), so
 *     whichever parity it counted under, one of those two checks saw it and did not pass until it
 *     left. A reader that read a stale parity and counts itself in after a check is not a danger:
 *     its load of the pointer comes after that check, so after the unlink.
 *
 * The barriers are asymmetric, as in liburcu's membarrier flavour: a reader's slot is written by
 * its thread alone, so it counts with a plain load and store, and orders the count before its
 * loads with a compiler barrier only; the writer, before it reads the counts, has the kernel run
 * a full barrier on every thread of the process that is running (membarrier, private expedited;
 * a thread not running passed one when it was switched out). So the full barrier each side needs
 * happens on the reader's CPU at the writer's request, and a read section costs no locked
 * instruction: 1,000 routes looked up through the ABI went from 18.5 to 13.5-14.0 ns, and two
 * readers on one port from 104-111 to 139-156 M lookups/s (make bench, issue 11). When the kernel
 * refuses the registration (older than 4.14, or a seccomp filter), readers use sequentially
 * consistent read-modify-writes instead, as writers always may. A writer's check therefore costs
 * a system call that interrupts the process's running threads (when another thread reads): it
 * comes every RETIRES_PER_COSTLY_ADVANCE-th retire, not every write.
 *
 * A slot is made on a thread's first read section and freed when the thread exits (a C++-style
 * thread-local destructor, which also keeps the library mapped past a dlclose until every thread
 * holding a slot has exited, so that no destructor is left pointing at unmapped code). A thread
 * that cannot get one (no memory) counts on a shared slot with read-modify-writes.
 *
 * What writers unlink waits in one process-wide queue, not one per port: a port that goes quiet
 * after its set-up would otherwise keep its last few retired tables until its next write, which
 * for thousands of idle guests is most of their memory. Any writer's retire advances the epoch
 * (every RETIRES_PER_CHEAP_ADVANCE-th or RETIRES_PER_COSTLY_ADVANCE-th retire) and frees what is
 * old enough, whichever port it came from; freeing a port empties the queue when no read section
 * is open anywhere, so the library keeps nothing but the threads' slots once its last port is
 * gone. */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "include/CWasixNetSystem.h"

enum { LINE = 128 };

/* A thread's two counters (sections open under each parity), on a 128-byte line pair of their own
 * (adjacent-line prefetch pairs 64-byte lines): only the owning thread writes them. */
typedef struct reader_slot {
    _Alignas(LINE) long readers[2]; /* first: CWasixNetSystem_fast_counts points here */
    struct reader_slot *next; /* the registry's link, under registry_lock */
} reader_slot_t;
_Static_assert(sizeof(reader_slot_t) == LINE, "one slot a line pair");

/* Where a thread counts itself when it could not get a slot of its own (no memory): shared, so
 * with read-modify-writes. Always in the registry. */
static reader_slot_t shared_slot;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static reader_slot_t *registry = &shared_slot;
/* Slots in the registry besides the shared one (changed under registry_lock). */
static size_t slots_registered;
/* Initial-exec: an offset from the thread pointer, fixed at load (8 bytes of the static TLS that
 * glibc keeps for libraries loaded later), so that neither a read nor the library's dependencies
 * go through the dynamic loader's __tls_get_addr. */
static __thread reader_slot_t *own_slot __attribute__((tls_model("initial-exec")));
/* The same slot's counts, for the inline half in CWasixNetSystem.h: set only when its thread may
 * count with plain stores (asymmetric fences and a slot of its own), else NULL. */
__thread long *CWasixNetSystem_fast_counts;
/* Flips so far (read with the __atomic builtins, as the inline half in CWasixNetSystem.h does). */
unsigned long CWasixNetSystem_epoch;
/* Whether the process is registered for expedited membarrier: then a reader orders its count
 * before its loads with a compiler barrier only, and a writer makes every running thread execute
 * a full barrier (membarrier) before it reads the counts. Else readers pay a full fence. */
static bool asymmetric;

extern int __cxa_thread_atexit_impl(void (*func)(void *), void *object, void *dso_symbol);
extern void *__dso_handle;

static void before_fork(void);
static void after_fork_in_parent(void);
static void after_fork_in_child(void);

__attribute__((constructor)) static void set_up(void)
{
    asymmetric = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    /* Unregistered by glibc if the library is unloaded. If it cannot register, a child of fork()
     * may wait for its parent's other threads for ever (its retired memory then stays: a leak,
     * never a use after free). */
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

/* Whether a thread other than the caller has a slot of its own, and so may count with plain
 * stores (exact under registry_lock; without it, a hint). */
static bool other_threads_registered(void)
{
    return __atomic_load_n(&slots_registered, __ATOMIC_RELAXED) > (own_slot ? 1u : 0u);
}

/* The writer's half of the readers' fence, before it reads their counts: false if it could not be
 * made (the kernel refused membarrier after accepting the registration: a seccomp filter added
 * later, say), and then the counts prove nothing.
 * The system call is needed only for other threads that count with plain stores: the calling
 * thread's own counts are in its program order, the shared slot's are read-modify-writes, and a
 * thread that registers after the check below takes the registry lock after it, so its reads come
 * after everything the caller unlinked. A process with one thread that reads and writes (a
 * runtime setting up its guests' ports, say) then makes no system call at all: without it, route
 * adds on one thread went from 2.7-4.4 to 5.0-5.3 M/s at 1,000 IPv4 routes and from 4.0 to
 * 4.7-5.1 M/s at 100,000 IPv6 routes (make bench, 2 alternating runs). The call is made outside
 * the lock, which a thread's first read section takes to register: that read waits for a check
 * of the registry, never for a system call. */
static bool fence_readers(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!asymmetric)
        return true;
    pthread_mutex_lock(&registry_lock);
    bool others = other_threads_registered();
    pthread_mutex_unlock(&registry_lock);
    return !others || syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

static void release_slot(void *object)
{
    reader_slot_t *slot = object;
    pthread_mutex_lock(&registry_lock);
    for (reader_slot_t **link = &registry; *link; link = &(*link)->next)
        if (*link == slot) {
            *link = slot->next;
            __atomic_store_n(&slots_registered, slots_registered - 1, __ATOMIC_RELAXED);
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    if (own_slot == slot) {
        own_slot = NULL;
        CWasixNetSystem_fast_counts = NULL;
    }
    free(slot);
}

static reader_slot_t *register_thread(void)
{
    reader_slot_t *slot = aligned_alloc(LINE, sizeof *slot);
    if (!slot)
        return &shared_slot;
    memset(slot, 0, sizeof *slot);
    if (__cxa_thread_atexit_impl(release_slot, slot, &__dso_handle) != 0) {
        free(slot);
        return &shared_slot;
    }
    pthread_mutex_lock(&registry_lock);
    slot->next = registry;
    registry = slot;
    __atomic_store_n(&slots_registered, slots_registered + 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&registry_lock);
    own_slot = slot;
    return slot;
}

/* The half of read_enter that CWasixNetSystem.h does not inline: a thread's first section, and
 * every section of a thread that counts with read-modify-writes (no membarrier, or no slot of its
 * own: then the token has bit 1 set, and read_exit comes here too). */
uintptr_t CWasixNetSystem_read_enter_slow(void)
{
    reader_slot_t *slot = own_slot;
    if (slot == NULL) {
        slot = register_thread();
        if (asymmetric && slot != &shared_slot) {
            CWasixNetSystem_fast_counts = slot->readers;
            return CWasixNetSystem_read_enter(); /* the inline half, now that it has a slot */
        }
    }
    unsigned long parity = __atomic_load_n(&CWasixNetSystem_epoch, __ATOMIC_RELAXED) & 1;
    __atomic_fetch_add(&slot->readers[parity], 1, __ATOMIC_SEQ_CST);
    return (uintptr_t)slot->readers | CWasixNetSystem_READ_TOKEN_ATOMIC | parity;
}

void CWasixNetSystem_read_exit_slow(uintptr_t token)
{
    long *counts = (long *)(token & ~(uintptr_t)(CWasixNetSystem_READ_TOKEN_ATOMIC | 1));
    __atomic_fetch_sub(&counts[token & 1], 1, __ATOMIC_SEQ_CST);
}

enum { PARITY_0 = 1, PARITY_1 = 2, EITHER_PARITY = PARITY_0 | PARITY_1 };

/* Whether any thread has a section open under one of `parities` (PARITY_0, PARITY_1 or both). */
static bool readers_open(unsigned parities)
{
    if (!fence_readers())
        return true; /* unknown: taken as open, so nothing is freed early */
    bool open = false;
    pthread_mutex_lock(&registry_lock);
    for (reader_slot_t *slot = registry; slot && !open; slot = slot->next)
        for (unsigned parity = 0; parity < 2 && !open; parity++)
            open = (parities >> parity & 1) && __atomic_load_n(&slot->readers[parity], __ATOMIC_SEQ_CST) != 0;
    pthread_mutex_unlock(&registry_lock);
    return open;
}

unsigned long CWasixNetSystem_read_epoch(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the caller's unlink comes before this load */
    return __atomic_load_n(&CWasixNetSystem_epoch, __ATOMIC_SEQ_CST);
}

unsigned long CWasixNetSystem_read_try_advance(void)
{
    unsigned long seen = __atomic_load_n(&CWasixNetSystem_epoch, __ATOMIC_SEQ_CST);
    if (readers_open((seen + 1) & 1 ? PARITY_1 : PARITY_0))
        return seen;
    /* Only one advancer flips from `seen`: another that checked the same parity meanwhile fails
     * here and reports the epoch it finds (its check is as good as ours, the flip is done). */
    __atomic_compare_exchange_n(&CWasixNetSystem_epoch, &seen, seen + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&CWasixNetSystem_epoch, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------------------------------ */
/* The retire queue                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* How often a retire tries to advance the epoch: every 8th when the try is cheap (no other thread
 * reads, so fence_readers makes no system call), every 64th when it costs a membarrier, which
 * interrupts the threads that are reading. With 8 there too, a writer beside two threads reading
 * its port (a typical guest's, make bench's reader figures) managed 0.33 M adds and removes a
 * second against 0.97 M/s now, and the readers 0.59-0.60 of their rate alone against 0.61; the
 * price is retired memory waiting longer in a process where several threads read, up to some
 * 200 blocks. A process that reads and writes on one thread keeps the short wait, and with it
 * the port memory figures. */
enum {
    RETIRES_PER_CHEAP_ADVANCE = 8,
    RETIRES_PER_COSTLY_ADVANCE = 64,
    EPOCHS_TO_SAFETY = CWasixNetSystem_EPOCHS_TO_SAFETY,
};

typedef struct retired {
    void *object;
    void (*release)(void *);
    unsigned long epoch;
} retired_t;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static retired_t *queue;        /* oldest first; NULL when empty */
static size_t queue_count, queue_capacity, retires_since_advance;

static bool no_reader_anywhere(void) { return !readers_open(EITHER_PARITY); }

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
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
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
    unsigned long now = __atomic_load_n(&CWasixNetSystem_epoch, __ATOMIC_SEQ_CST);
    queue[queue_count++] = (retired_t){object, release, now};
    /* Without the registry lock: a stale answer only moves one advance earlier or later. */
    bool costly = asymmetric && other_threads_registered();
    if (++retires_since_advance >= (costly ? RETIRES_PER_COSTLY_ADVANCE : RETIRES_PER_CHEAP_ADVANCE)) {
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
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    pthread_mutex_lock(&queue_lock);
    size_t n = queue_count;
    retired_t *freed = n && no_reader_anywhere() ? take_oldest(n) : NULL;
    pthread_mutex_unlock(&queue_lock);
    if (freed)
        release_all(freed, n);
}

/* ------------------------------------------------------------------------------------------ */
/* fork()                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* A child of fork() has one thread, the one that forked, but a copy of every other thread's slot:
 * a slot whose thread was inside a read section at the fork would count a reader for ever (its
 * thread never runs in the child to count itself out, nor exits to free it), and the child would
 * then free nothing it retires. A lock another thread held at the fork would never be unlocked.
 * So both locks are taken across the fork (queue before registry, the order a retire takes them
 * in), and the child keeps only its own thread's slot. fork() is never called inside a read
 * section (none calls out), so the forking thread's own counts are right as they are; the
 * membarrier registration belongs to the address space, which the child copies (only exec resets
 * it), so the child's readers and writers keep the same fences. */
static void before_fork(void)
{
    pthread_mutex_lock(&queue_lock);
    pthread_mutex_lock(&registry_lock);
}

static void after_fork_in_parent(void)
{
    pthread_mutex_unlock(&registry_lock);
    pthread_mutex_unlock(&queue_lock);
}

static void after_fork_in_child(void)
{
    reader_slot_t *mine = own_slot;
    reader_slot_t *slot = registry;
    while (slot) {
        reader_slot_t *next = slot->next;
        if (slot != mine && slot != &shared_slot)
            free(slot); /* its thread is not in this process: nothing else frees it */
        slot = next;
    }
    /* The shared slot counts threads that had no slot of their own: none of them is here. */
    __atomic_store_n(&shared_slot.readers[0], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&shared_slot.readers[1], 0, __ATOMIC_SEQ_CST);
    shared_slot.next = NULL;
    if (mine && mine != &shared_slot) {
        mine->next = &shared_slot;
        registry = mine;
        slots_registered = 1;
    } else {
        registry = &shared_slot;
        slots_registered = 0;
    }
    after_fork_in_parent();
}
