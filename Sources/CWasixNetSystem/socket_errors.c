/* What a kernel errno becomes for a socket call, generated from the header's table
 * (wasixnet.h [udp.errors], WASIXNET_SOCK_ERRNO_MAP): the code and the contract are one list. */
#include <errno.h>
#include "../../include/wasixnet.h"
#include "include/CWasixNetSystem.h"

uint8_t CWasixNetSystem_socket_error_code(int error) {
    switch (error) {
#define SOCKET_ERROR_CASE_(errno_name, status) \
    case errno_name: return (uint8_t)(WASIXNET_SOCK_E_##status - 1);
    WASIXNET_SOCK_ERRNO_MAP(SOCKET_ERROR_CASE_)
#undef SOCKET_ERROR_CASE_
    default: return (uint8_t)(WASIXNET_SOCK_E_UNKNOWN - 1);
    }
}
