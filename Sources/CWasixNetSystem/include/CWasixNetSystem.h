/* The core's one window on the operating system. It brings in the system headers the core
 * uses (the core never imports Glibc: Embedded Swift, which builds the shipped library, has no
 * Glibc module, so both builds see libc through this module alone), and declares what Swift
 * cannot see of the Linux socket API: `struct mmsghdr` with sendmmsg / recvmmsg (they need
 * _GNU_SOURCE), the cmsg macros and the UDP GSO option.
 * Thin and dumb, as swift-nio's CNIOLinux: no logic lives here, only declarations Swift can
 * call. The symbols carry no `wasixnet_` prefix, so the version script keeps them local. */
#ifndef CWASIXNET_SYSTEM_H
#define CWASIXNET_SYSTEM_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
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

/* Read sections (read_sections.c): the static counters behind WasixNet's `ReadSection`, which
 * explains the scheme. enter() counts the calling thread in as a reader (on its CPU's stripe,
 * under the current epoch) and returns what exit() needs; wait_for_readers() returns once every
 * read section that was open when it was called has closed. Readers never block; only
 * wait_for_readers waits. */
unsigned CWasixNetSystem_read_enter(void);
void CWasixNetSystem_read_exit(unsigned token);
void CWasixNetSystem_wait_for_readers(void);

enum {
    CWasixNetSystem_SOL_UDP = 17,        /* IPPROTO_UDP as a cmsg level */
    CWasixNetSystem_UDP_SEGMENT = 103,   /* <linux/udp.h>: the GSO segment size (a u16 cmsg) */
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

#endif
