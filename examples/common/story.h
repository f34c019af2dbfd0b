/*
 * story.h: the demo's narration of a guest's port calls. A runtime does not need any of it; it
 * shows what crossed the boundary, decoded from guest memory with the header's own types.
 */
#ifndef WASIXNET_EXAMPLE_STORY_H
#define WASIXNET_EXAMPLE_STORY_H

#include <wasixnet.h>

/* The most parameters of an import the story reads (wasixnet's imports take at most 7). */
#define STORY_MAX_PARAMS 16

/* What the guest asked, captured before the call: the call's out-parameters (a list's capacity in
 * its count cell) are overwritten by it. */
typedef struct story_call {
    char asked[192];
    uint64_t capacity; /* list calls: the count cell on entry */
} story_call_t;

void story_before(story_call_t *call, const wasixnet_import_t *import, const wasixnet_guest_t *guest,
                  const uint64_t *args);
/* Prints "  port_route_list(room for 2) -> OVERFLOW" and what the call wrote for the guest. */
void story_after(const story_call_t *call, const wasixnet_import_t *import, const wasixnet_guest_t *guest,
                 const uint64_t *args, wasixnet_errno_t err);

#endif
