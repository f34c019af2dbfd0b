/* The parts of the ABI that are pure C data: error names and version numbers, derived from the
 * header's one list so that numbers and names cannot drift. */
#include "../../include/wasixnet.h"

uint32_t wasixnet_abi_version(void) { return WASIXNET_ABI_VERSION; }

const char *wasixnet_version(void) { return WASIXNET_VERSION_STRING; }

#define WASIXNET_ERRNO_NAME_(number, name) [number] = #name,
static const char *const errno_names[WASIXNET_ERRNO_COUNT] = {WASIXNET_ERRNO_MAP(WASIXNET_ERRNO_NAME_)};
#undef WASIXNET_ERRNO_NAME_

const char *wasixnet_errno_name(wasixnet_errno_t err) {
    return err < WASIXNET_ERRNO_COUNT ? errno_names[err] : "UNKNOWN_ERRNO";
}
