/* Benchmarks/ideal_lookup.h: the fastest IPv4 lookup we know how to write in C for bench.c's big
 * table, behind a call of wasixnet_port_route_lookup's shape: a floor beside issue 11's target of
 * 0.15 of the one-bit trie at a million routes, measured in the same paired rounds as the library.
 * In make bench it came to 0.225-0.25 of the trie over 11 runs, the library to 0.32-0.38.
 *
 * What makes it ideal, and so not a design for the library: it is built once from a sorted copy
 * (no adds, no removes, no readers racing a writer, no read section), keeps only what the bench's
 * routes need (a prefix length a range: no record, no router, no lifetime), checks nothing of its
 * arguments, and spends memory freely. The structure is DXR's (Zec, Rizzo, Mikuc, "DXR: towards a
 * billion routing lookups per second in software", CCR 2012): the top 16 bits of the address index
 * a direct array; a /16 with longer prefixes in it points to a block that splits its addresses
 * into ranges, each with the longest prefix covering it, searched without a branch on the data; a
 * /16 without holds its answer in the array itself. A lookup is two dependent loads, the second a
 * miss in a table of a million routes.
 *
 * What it keeps of the contract is the answer: all 176 bytes of the wasixnet_route_t written, the
 * meaningful ones as the library writes them and the rest zero. How it writes them matters as much
 * as the structure: the processor hides a lookup's miss behind the next lookups only while their
 * instructions and stores fit in its window, so the answer goes out in eleven 16-byte stores, and
 * nothing after the miss branches on what it brought (each was measured: a search whose length
 * came from the block, or branches on the answer, gave 0.32-0.35; zeroing the struct then storing
 * the fields over it, as the library does, 0.24-0.27 against 0.19 for eleven stores in a harness
 * of its own; issue 11). */
#ifndef WASIXNET_BENCH_IDEAL_LOOKUP_H
#define WASIXNET_BENCH_IDEAL_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wasixnet.h>

/* A range's answer: the prefix length + 1 (0: no prefix covers it). */
typedef uint16_t ideal4_answer_t;

typedef struct ideal4 {
    /* Per /16: bit 0 set, the answer in bits 1...; or the block's offset in `pool` (in uint16s). */
    uint64_t *direct;
    /* Blocks of `slots` range starts (the low 16 bits of the address, ascending; the first is 0,
     * unused slots 0xffff), then `slots` answers. Every block has as many slots as the fullest
     * needs, so that a search takes the same steps in every block: a loop whose count came from
     * the block itself would end on a branch that waits for the miss (and measured 0.32 of the
     * trie instead of 0.19). */
    uint16_t *pool;
    size_t used, capacity, slots;
} ideal4_t;

typedef struct ideal4_prefix {
    uint32_t network;
    uint8_t length;
} ideal4_prefix_t;

static int ideal4_compare(const void *a, const void *b)
{
    const ideal4_prefix_t *x = a, *y = b;
    if (x->network != y->network)
        return x->network < y->network ? -1 : 1;
    return (int)x->length - (int)y->length;
}

static void ideal4_grow(ideal4_t *t, size_t more)
{
    if (t->used + more <= t->capacity)
        return;
    while (t->used + more > t->capacity)
        t->capacity = t->capacity ? 2 * t->capacity : 1 << 16;
    t->pool = realloc(t->pool, t->capacity * sizeof *t->pool);
    if (!t->pool)
        abort();
}

/* The ranges of one /16, given its prefixes `p[0 .. n)`, sorted (those up to /16 are skipped:
 * `cover` is the answer of the longest of them covering the /16, or of a shorter one): in address
 * order, one per change of answer, into `starts` and `answers` (room for 2n + 1); returns how
 * many. */
static size_t ideal4_ranges(const ideal4_prefix_t *p, size_t n, ideal4_answer_t cover, uint16_t *starts,
                            ideal4_answer_t *answers)
{
    size_t ranges = 0;
    /* Every place an answer can change: 0, and each prefix's first and one-past-last address. */
    for (size_t c = 0; c <= 2 * n; c++) {
        const ideal4_prefix_t *q = c ? &p[(c - 1) / 2] : NULL;
        if (q && q->length <= 16)
            continue;
        uint32_t at = !q ? 0 : (q->network & 0xffff) + ((c - 1) % 2 ? 1u << (32 - q->length) : 0);
        bool seen = at >= 0x10000;
        for (size_t r = 0; r < ranges && !seen; r++)
            seen = starts[r] == at;
        if (seen)
            continue;
        ideal4_answer_t best = cover;
        uint8_t best_length = 16;
        for (size_t i = 0; i < n; i++) { /* the longest prefix covering `at` */
            uint32_t first = p[i].network & 0xffff, size = 1u << (32 - p[i].length);
            if (p[i].length > best_length && at >= first && at - first < size) {
                best_length = p[i].length;
                best = (ideal4_answer_t)(p[i].length + 1);
            }
        }
        starts[ranges] = (uint16_t)at;
        answers[ranges++] = best;
    }
    for (size_t i = 1; i < ranges; i++)
        for (size_t j = i; j > 0 && starts[j - 1] > starts[j]; j--) {
            uint16_t s = starts[j];
            starts[j] = starts[j - 1];
            starts[j - 1] = s;
            ideal4_answer_t a = answers[j];
            answers[j] = answers[j - 1];
            answers[j - 1] = a;
        }
    size_t kept = 0;
    for (size_t i = 0; i < ranges; i++)
        if (kept == 0 || answers[i] != answers[kept - 1]) {
            starts[kept] = starts[i];
            answers[kept++] = answers[i];
        }
    return kept;
}

/* The prefixes of the /16 that `p[first]` is in run from `first` to `*end` (they are sorted):
 * whether any of them is longer than /16 (then the /16 has a block). */
static bool ideal4_block_at(const ideal4_prefix_t *p, size_t n, size_t first, size_t *end)
{
    bool longer = false;
    for (*end = first; *end < n && p[*end].network >> 16 == p[first].network >> 16; ++*end)
        longer |= p[*end].length > 16;
    return longer;
}

/* The structure for `n` prefixes (host bits clear); `p` is sorted in place. */
static ideal4_t ideal4_build(ideal4_prefix_t *p, size_t n)
{
    ideal4_t t = {calloc(1 << 16, sizeof(uint64_t)), NULL, 0, 0, 1};
    ideal4_answer_t *cover = calloc(1 << 16, sizeof *cover);
    uint16_t *starts = malloc((2 * n + 1) * sizeof *starts);
    ideal4_answer_t *answers = malloc((2 * n + 1) * sizeof *answers);
    if (!t.direct || !cover || !starts || !answers)
        abort();
    qsort(p, n, sizeof *p, ideal4_compare);
    /* Prefixes up to /16 paint the /16s they cover, shorter first, so the longest one stays. */
    for (unsigned length = 0; length <= 16; length++)
        for (size_t i = 0; i < n; i++)
            if (p[i].length == length) {
                uint32_t first = p[i].network >> 16, count = 1u << (16 - length);
                for (uint32_t j = 0; j < count; j++)
                    cover[first + j] = (ideal4_answer_t)(length + 1);
            }
    for (uint32_t top = 0; top < 1u << 16; top++)
        t.direct[top] = (uint64_t)cover[top] << 1 | 1;
    /* Every block gets the slots the fullest needs, a power of two. */
    size_t most = 1;
    for (size_t first = 0, end; first < n; first = end)
        if (ideal4_block_at(p, n, first, &end)) {
            size_t kept = ideal4_ranges(p + first, end - first, cover[p[first].network >> 16], starts, answers);
            most = kept > most ? kept : most;
        }
    while (t.slots < most)
        t.slots *= 2;
    for (size_t first = 0, end; first < n; first = end)
        if (ideal4_block_at(p, n, first, &end)) {
            uint32_t top = p[first].network >> 16;
            size_t kept = ideal4_ranges(p + first, end - first, cover[top], starts, answers);
            ideal4_grow(&t, 2 * t.slots);
            t.direct[top] = (uint64_t)t.used << 1;
            for (size_t i = 0; i < t.slots; i++) {
                t.pool[t.used + i] = i < kept ? starts[i] : 0xffff;
                t.pool[t.used + t.slots + i] = i < kept ? answers[i] : answers[kept - 1];
            }
            t.used += 2 * t.slots;
        }
    free(cover);
    free(starts);
    free(answers);
    return t;
}

static void ideal4_free(ideal4_t *t)
{
    free(t->direct);
    free(t->pool);
}

/* One 16-byte store (a vector register's). */
typedef uint64_t ideal4_words_t __attribute__((vector_size(16)));

static inline void ideal4_store16(void *at, uint64_t lo, uint64_t hi)
{
    ideal4_words_t words = {lo, hi};
    memcpy(at, &words, sizeof words);
}

/* wasixnet_port_route_lookup's answer for bench.c's routes (on-link, no lifetimes): ESUCCESS, or
 * ENETUNREACH. `*out` is written either way (a call may write its output even when it fails; the
 * library does not), so that no branch waits for the miss. */
__attribute__((noinline)) static wasixnet_errno_t ideal4_lookup(const ideal4_t *t, const wasixnet_addr_t *dst,
                                                              wasixnet_route_t *out)
{
    const uint8_t *o = dst->u.inet4;
    uint32_t key = (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
    uint64_t entry = t->direct[key >> 16];
    ideal4_answer_t answer;
    if (entry & 1) {
        answer = (ideal4_answer_t)(entry >> 1);
    } else {
        const uint16_t *starts = t->pool + (entry >> 1);
        size_t slots = t->slots, at = 0;
        uint16_t low = (uint16_t)key;
        for (size_t step = slots >> 1; step; step >>= 1) /* no branch on the data */
            at = starts[at + step] <= low ? at + step : at;
        answer = starts[slots + at];
    }
    /* No branch on the answer either (it comes with the miss): a 64-bit shift gives /0 no bits. */
    uint64_t length = (uint64_t)answer - (answer != 0);
    uint32_t network = key & (uint32_t)(~0ull << (32 - length));
    /* Bytes 0-15: the tag 1, the octets from 2, the prefix length at 6; all else zero. */
    ideal4_store16(out, 1 | (uint64_t)__builtin_bswap32(network) << 16 | length << 48, 0);
    for (size_t chunk = 1; chunk < sizeof *out / 16; chunk++) {
        __asm__ volatile("" ::: "memory"); /* eleven stores, not a memset the compiler makes a string op */
        ideal4_store16((uint8_t *)out + 16 * chunk, 0, 0);
    }
    return answer ? WASIXNET_ESUCCESS : WASIXNET_ENETUNREACH;
}

#endif
