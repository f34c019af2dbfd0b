/* The core's one window on the operating system. It brings in the system headers the core
 * uses (the core never imports Glibc: Embedded Swift, which builds the shipped library, has no
 * Glibc module, so both builds see libc through this module alone), and declares what Swift
 * cannot see of the Linux socket API: `struct mmsghdr` with sendmmsg / recvmmsg (they need
 * _GNU_SOURCE), the cmsg macros and the UDP GSO option.
 * Thin and dumb, as swift-nio's CNIOLinux: no logic lives here, only declarations Swift can
 * call, and the read sections' few inline lines (below, with why). The symbols carry no
 * `wasixnet_` prefix, so the version script keeps them local. */
#ifndef CWASIXNET_SYSTEM_H
#define CWASIXNET_SYSTEM_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Layout-identical to glibc's `struct mmsghdr`. */
typedef struct CWasixNetSystem_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CWasixNetSystem_mmsghdr;

/* The libc calls, unchanged: the result, or -1 with errno set. */
int CWasixNetSystem_sendmmsg(int fd, CWasixNetSystem_mmsghdr *messages, unsigned int count, int flags);
int CWasixNetSystem_recvmmsg(int fd, CWasixNetSystem_mmsghdr *messages, unsigned int count, int flags);

/* The errno of the calling thread (a macro in C). */
int CWasixNetSystem_errno(void);

/* The wasi:sockets `error-code` discriminant (0 unknown ... 20) a kernel errno stands for, from
 * the public header's table (wasixnet.h [udp.errors]); 0 (unknown) for an errno not in it. */
uint8_t CWasixNetSystem_socket_error_code(int error);

/* Read sections (read_sections.c, which explains the scheme; ReadSection.swift, how it is used).
 * read_enter() counts the calling thread in as a reader and returns what read_exit() needs (on
 * the same thread); it never waits. read_epoch() is the number of grace-period steps so far;
 * read_try_advance() takes one more step if the readers it must outwait are gone (it never waits
 * either) and returns the epoch after. Memory unlinked before read_epoch() returned e may be
 * freed once the epoch is e + CWasixNetSystem_EPOCHS_TO_SAFETY. */
enum { CWasixNetSystem_EPOCHS_TO_SAFETY = 3, CWasixNetSystem_READ_TOKEN_ATOMIC = 2 };
uintptr_t CWasixNetSystem_read_enter_slow(void);
void CWasixNetSystem_read_exit_slow(uintptr_t token);
/* The calling thread's two section counts, when it counts with plain stores (read_sections.c),
 * else NULL; and the epoch. Not for Swift: for the two functions below. */
extern __thread long *CWasixNetSystem_fast_counts __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern unsigned long CWasixNetSystem_epoch __attribute__((visibility("hidden")));

/* read_enter and read_exit, inline where they are cheap: every lookup makes a section, and
 * inlined, a 1,000-route lookup through the ABI takes 293 instructions instead of 309 (callgrind)
 * and 12.3-12.5 ns instead of 13.2-13.6 (make bench, 3 alternating runs; issue 11). A section is
 * counted under the epoch's parity on the thread's own counts, with a plain load and store and a
 * compiler barrier (the writer's membarrier is the other half of the fence); the token is the
 * counts' address with the parity in bit 0, and bit 1 set when the slow half counted it with a
 * read-modify-write instead (then its exit goes there too). */
static inline uintptr_t CWasixNetSystem_read_enter(void) {
    long *counts = CWasixNetSystem_fast_counts;
    if (__builtin_expect(counts == NULL, 0))
        return CWasixNetSystem_read_enter_slow();
    unsigned long parity = __atomic_load_n(&CWasixNetSystem_epoch, __ATOMIC_RELAXED) & 1;
    __atomic_store_n(&counts[parity], __atomic_load_n(&counts[parity], __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return (uintptr_t)counts | parity;
}

static inline void CWasixNetSystem_read_exit(uintptr_t token) {
    if (__builtin_expect(token & CWasixNetSystem_READ_TOKEN_ATOMIC, 0)) {
        CWasixNetSystem_read_exit_slow(token);
        return;
    }
    long *count = (long *)(token & ~(uintptr_t)1) + (token & 1);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(count, __atomic_load_n(count, __ATOMIC_RELAXED) - 1, __ATOMIC_RELEASE);
}
unsigned long CWasixNetSystem_read_epoch(void);
unsigned long CWasixNetSystem_read_try_advance(void);
/* Hands `object`, which the caller has just made unreachable for new read sections, to the
 * process-wide retire queue: `release(object)` runs once every read section that could still
 * hold it has closed (from some later retire or reclaim call, on whatever thread makes it).
 * false: no memory to queue it; the caller keeps the object. */
bool CWasixNetSystem_retire(void *object, void (*release)(void *));
/* Releases everything queued if no read section is open anywhere (a port's free calls it, so
 * the library holds nothing once its last port is gone). */
void CWasixNetSystem_reclaim_if_quiescent(void);

enum {
    CWasixNetSystem_SOL_UDP = 17,        /* IPPROTO_UDP as a cmsg level */
    CWasixNetSystem_UDP_SEGMENT = 103,   /* <linux/udp.h>: the GSO segment size (a u16 cmsg) */
    CWasixNetSystem_UDP_GRO = 104,       /* <linux/udp.h>: receive coalesced; the cmsg is an int, the segment size */
};

/* Bytes of control buffer one UDP_SEGMENT cmsg needs: CMSG_SPACE(sizeof(uint16_t)). */
static inline size_t CWasixNetSystem_udp_segment_space(void) { return CMSG_SPACE(sizeof(uint16_t)); }

/* Points `message` at `control` (udp_segment_space() bytes, 8-aligned) holding one UDP_SEGMENT
 * cmsg with `segment_size`. */
static inline void CWasixNetSystem_set_udp_segment(struct msghdr *message, void *control, uint16_t segment_size) {
    memset(control, 0, CMSG_SPACE(sizeof(uint16_t)));
    message->msg_control = control;
    message->msg_controllen = CMSG_SPACE(sizeof(uint16_t));
    struct cmsghdr *header = CMSG_FIRSTHDR(message);
    header->cmsg_level = CWasixNetSystem_SOL_UDP;
    header->cmsg_type = CWasixNetSystem_UDP_SEGMENT;
    header->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    memcpy(CMSG_DATA(header), &segment_size, sizeof segment_size);
}

/* The segment size of a message's UDP_SEGMENT cmsg, or 0 when it has none (for tests and for
 * telling a coalesced message from a plain one). */
static inline uint16_t CWasixNetSystem_udp_segment(const struct msghdr *message) {
    if (message->msg_control == NULL || message->msg_controllen < CMSG_LEN(sizeof(uint16_t))) return 0;
    const struct cmsghdr *header = CMSG_FIRSTHDR(message);
    if (header == NULL || header->cmsg_level != CWasixNetSystem_SOL_UDP || header->cmsg_type != CWasixNetSystem_UDP_SEGMENT)
        return 0;
    uint16_t segment_size;
    memcpy(&segment_size, CMSG_DATA(header), sizeof segment_size);
    return segment_size;
}

/* Bytes of control buffer one UDP_GRO cmsg needs: CMSG_SPACE(sizeof(int)). */
static inline size_t CWasixNetSystem_udp_gro_space(void) { return CMSG_SPACE(sizeof(int)); }

/* The segment size of a received message's UDP_GRO cmsg (the kernel coalesced datagrams of that
 * size into its buffer, the last one possibly shorter), or 0 when it has none: one datagram. */
static inline int CWasixNetSystem_udp_gro_size(struct msghdr *message) {
    if (message->msg_control == NULL) return 0;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(message); header != NULL; header = CMSG_NXTHDR(message, header)) {
        if (header->cmsg_level == CWasixNetSystem_SOL_UDP && header->cmsg_type == CWasixNetSystem_UDP_GRO &&
            header->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int segment_size;
            memcpy(&segment_size, CMSG_DATA(header), sizeof segment_size);
            return segment_size;
        }
    }
    return 0;
}

/* The route trie's prefix test (RouteTrieNode.longestPrefix): for each key byte, the bits of a
 * node's first prefix-bitmap word that stand for the byte's ancestors of 0...5 bits (ART index
 * (1 << r) | (byte >> (8 - r))). A table, because building the mask takes six variable shifts
 * per node visited, and this is one load from 2 KB that stay in the cache. */
static const uint64_t CWasixNetSystem_route_trie_ancestors[256] = {
    0x0000000100010116ull, 0x0000000100010116ull, 0x0000000100010116ull, 0x0000000100010116ull,
    0x0000000100010116ull, 0x0000000100010116ull, 0x0000000100010116ull, 0x0000000100010116ull,
    0x0000000200010116ull, 0x0000000200010116ull, 0x0000000200010116ull, 0x0000000200010116ull,
    0x0000000200010116ull, 0x0000000200010116ull, 0x0000000200010116ull, 0x0000000200010116ull,
    0x0000000400020116ull, 0x0000000400020116ull, 0x0000000400020116ull, 0x0000000400020116ull,
    0x0000000400020116ull, 0x0000000400020116ull, 0x0000000400020116ull, 0x0000000400020116ull,
    0x0000000800020116ull, 0x0000000800020116ull, 0x0000000800020116ull, 0x0000000800020116ull,
    0x0000000800020116ull, 0x0000000800020116ull, 0x0000000800020116ull, 0x0000000800020116ull,
    0x0000001000040216ull, 0x0000001000040216ull, 0x0000001000040216ull, 0x0000001000040216ull,
    0x0000001000040216ull, 0x0000001000040216ull, 0x0000001000040216ull, 0x0000001000040216ull,
    0x0000002000040216ull, 0x0000002000040216ull, 0x0000002000040216ull, 0x0000002000040216ull,
    0x0000002000040216ull, 0x0000002000040216ull, 0x0000002000040216ull, 0x0000002000040216ull,
    0x0000004000080216ull, 0x0000004000080216ull, 0x0000004000080216ull, 0x0000004000080216ull,
    0x0000004000080216ull, 0x0000004000080216ull, 0x0000004000080216ull, 0x0000004000080216ull,
    0x0000008000080216ull, 0x0000008000080216ull, 0x0000008000080216ull, 0x0000008000080216ull,
    0x0000008000080216ull, 0x0000008000080216ull, 0x0000008000080216ull, 0x0000008000080216ull,
    0x0000010000100426ull, 0x0000010000100426ull, 0x0000010000100426ull, 0x0000010000100426ull,
    0x0000010000100426ull, 0x0000010000100426ull, 0x0000010000100426ull, 0x0000010000100426ull,
    0x0000020000100426ull, 0x0000020000100426ull, 0x0000020000100426ull, 0x0000020000100426ull,
    0x0000020000100426ull, 0x0000020000100426ull, 0x0000020000100426ull, 0x0000020000100426ull,
    0x0000040000200426ull, 0x0000040000200426ull, 0x0000040000200426ull, 0x0000040000200426ull,
    0x0000040000200426ull, 0x0000040000200426ull, 0x0000040000200426ull, 0x0000040000200426ull,
    0x0000080000200426ull, 0x0000080000200426ull, 0x0000080000200426ull, 0x0000080000200426ull,
    0x0000080000200426ull, 0x0000080000200426ull, 0x0000080000200426ull, 0x0000080000200426ull,
    0x0000100000400826ull, 0x0000100000400826ull, 0x0000100000400826ull, 0x0000100000400826ull,
    0x0000100000400826ull, 0x0000100000400826ull, 0x0000100000400826ull, 0x0000100000400826ull,
    0x0000200000400826ull, 0x0000200000400826ull, 0x0000200000400826ull, 0x0000200000400826ull,
    0x0000200000400826ull, 0x0000200000400826ull, 0x0000200000400826ull, 0x0000200000400826ull,
    0x0000400000800826ull, 0x0000400000800826ull, 0x0000400000800826ull, 0x0000400000800826ull,
    0x0000400000800826ull, 0x0000400000800826ull, 0x0000400000800826ull, 0x0000400000800826ull,
    0x0000800000800826ull, 0x0000800000800826ull, 0x0000800000800826ull, 0x0000800000800826ull,
    0x0000800000800826ull, 0x0000800000800826ull, 0x0000800000800826ull, 0x0000800000800826ull,
    0x000100000100104aull, 0x000100000100104aull, 0x000100000100104aull, 0x000100000100104aull,
    0x000100000100104aull, 0x000100000100104aull, 0x000100000100104aull, 0x000100000100104aull,
    0x000200000100104aull, 0x000200000100104aull, 0x000200000100104aull, 0x000200000100104aull,
    0x000200000100104aull, 0x000200000100104aull, 0x000200000100104aull, 0x000200000100104aull,
    0x000400000200104aull, 0x000400000200104aull, 0x000400000200104aull, 0x000400000200104aull,
    0x000400000200104aull, 0x000400000200104aull, 0x000400000200104aull, 0x000400000200104aull,
    0x000800000200104aull, 0x000800000200104aull, 0x000800000200104aull, 0x000800000200104aull,
    0x000800000200104aull, 0x000800000200104aull, 0x000800000200104aull, 0x000800000200104aull,
    0x001000000400204aull, 0x001000000400204aull, 0x001000000400204aull, 0x001000000400204aull,
    0x001000000400204aull, 0x001000000400204aull, 0x001000000400204aull, 0x001000000400204aull,
    0x002000000400204aull, 0x002000000400204aull, 0x002000000400204aull, 0x002000000400204aull,
    0x002000000400204aull, 0x002000000400204aull, 0x002000000400204aull, 0x002000000400204aull,
    0x004000000800204aull, 0x004000000800204aull, 0x004000000800204aull, 0x004000000800204aull,
    0x004000000800204aull, 0x004000000800204aull, 0x004000000800204aull, 0x004000000800204aull,
    0x008000000800204aull, 0x008000000800204aull, 0x008000000800204aull, 0x008000000800204aull,
    0x008000000800204aull, 0x008000000800204aull, 0x008000000800204aull, 0x008000000800204aull,
    0x010000001000408aull, 0x010000001000408aull, 0x010000001000408aull, 0x010000001000408aull,
    0x010000001000408aull, 0x010000001000408aull, 0x010000001000408aull, 0x010000001000408aull,
    0x020000001000408aull, 0x020000001000408aull, 0x020000001000408aull, 0x020000001000408aull,
    0x020000001000408aull, 0x020000001000408aull, 0x020000001000408aull, 0x020000001000408aull,
    0x040000002000408aull, 0x040000002000408aull, 0x040000002000408aull, 0x040000002000408aull,
    0x040000002000408aull, 0x040000002000408aull, 0x040000002000408aull, 0x040000002000408aull,
    0x080000002000408aull, 0x080000002000408aull, 0x080000002000408aull, 0x080000002000408aull,
    0x080000002000408aull, 0x080000002000408aull, 0x080000002000408aull, 0x080000002000408aull,
    0x100000004000808aull, 0x100000004000808aull, 0x100000004000808aull, 0x100000004000808aull,
    0x100000004000808aull, 0x100000004000808aull, 0x100000004000808aull, 0x100000004000808aull,
    0x200000004000808aull, 0x200000004000808aull, 0x200000004000808aull, 0x200000004000808aull,
    0x200000004000808aull, 0x200000004000808aull, 0x200000004000808aull, 0x200000004000808aull,
    0x400000008000808aull, 0x400000008000808aull, 0x400000008000808aull, 0x400000008000808aull,
    0x400000008000808aull, 0x400000008000808aull, 0x400000008000808aull, 0x400000008000808aull,
    0x800000008000808aull, 0x800000008000808aull, 0x800000008000808aull, 0x800000008000808aull,
    0x800000008000808aull, 0x800000008000808aull, 0x800000008000808aull, 0x800000008000808aull,
};

static inline uint64_t CWasixNetSystem_route_trie_ancestor_bits(unsigned byte) {
    return CWasixNetSystem_route_trie_ancestors[byte & 0xff];
}

/* Asks for the cache line holding `address` ahead of its use (a hint: never faults). */
static inline void CWasixNetSystem_prefetch(const void *address) { __builtin_prefetch(address); }

#endif
