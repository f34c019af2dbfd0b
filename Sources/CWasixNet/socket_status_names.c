/* The names of wasi:sockets statuses, derived from the header's one list
 * (WASIXNET_SOCK_ERROR_MAP) so that numbers and names cannot drift. */
#include "../../include/wasixnet.h"

#define WASIXNET_SOCK_ERROR_NAME_(status, name, text) [status] = text,
static const char *const sock_error_names[WASIXNET_SOCK_ERROR_COUNT + 1] = {
    [0] = "ok", WASIXNET_SOCK_ERROR_MAP(WASIXNET_SOCK_ERROR_NAME_)};
#undef WASIXNET_SOCK_ERROR_NAME_

const char *wasixnet_sock_status_name(wasixnet_sock_status_t status) {
    if (status == WASIXNET_SOCK_TRAP) return "trap";
    if (status < 0 || status > WASIXNET_SOCK_ERROR_COUNT) return "unknown-status";
    return sock_error_names[status];
}
