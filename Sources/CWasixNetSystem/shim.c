/* The libc calls behind CWasixNetSystem.h: nothing but the calls themselves. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include "include/CWasixNetSystem.h"

_Static_assert(sizeof(CWasixNetSystem_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr size");
_Static_assert(offsetof(CWasixNetSystem_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr.msg_len");

int CWasixNetSystem_sendmmsg(int fd, CWasixNetSystem_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int CWasixNetSystem_recvmmsg(int fd, CWasixNetSystem_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int CWasixNetSystem_errno(void) { return errno; }
