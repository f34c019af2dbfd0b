/*
 * guest_memory.h — a fake linear memory for the guest calls, with a guard area after memory_size
 * so that a write past the end is seen, and the image of what it must hold after a call.
 */
#ifndef WASIXNET_FFI_GUEST_MEMORY_H
#define WASIXNET_FFI_GUEST_MEMORY_H

#include "port_fixtures.h"

#define GMEM 65536u
#define GGUARD 512u
extern uint8_t gmem[GMEM + GGUARD], gexp[GMEM + GGUARD]; /* the memory, and what it must hold */
extern wasixnet_guest_t gst;                               /* the guest description over gmem */

/* Fills gmem (guard included) with a pattern no call writes. */
void gfill(void);
/* Describes gmem with that pointer size and layout in gst, and fills it. */
void guest_use(uint8_t ps, uint8_t layout);
/* Writes the part of [off, off + n) that lies inside memory_size. */
void gwrite(uint8_t *mem, uint64_t off, const void *src, size_t n);
/* A guest's input at off, in gst's layout. */
void gput_addr(uint64_t off, const wasixnet_addr_t *a);
void gput_cidr(uint64_t off, const wasixnet_addr_cidr_t *c);
void gput_ts(uint64_t off, const wasixnet_option_timestamp_t *t);
/* A little-endian count cell of `width` bytes (the guest's pointer size). */
void gput_cell(uint8_t *mem, uint64_t off, uint64_t v, unsigned width);

/* The expected memory: a copy of gmem, then the list entries a call must write. */
void gexp_begin(void);
void gexp_entries(int which, uint64_t off, const void *entries, uint32_t n);
bool gexp_check_(where_t w, const char *what);
#define GEXP_CHECK(what) gexp_check_(HERE, (what))

const char *layout_name(uint8_t layout);

#endif
