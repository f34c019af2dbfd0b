/*
 * guest_memory.c — the fake linear memory the guest calls read and write (declared in
 * guest_memory.h).
 */
#include "guest_memory.h"

/* ============================================================================================
 * Guest memory: a fake linear memory with a guard area after memory_size
 * ========================================================================================== */

uint8_t gmem[GMEM + GGUARD], gexp[GMEM + GGUARD];
wasixnet_guest_t gst;

void gfill(void)
{
    for (size_t i = 0; i < sizeof gmem; i++)
        gmem[i] = (uint8_t)(0x80u | (i * 151u + 89u));
}
void guest_use(uint8_t ps, uint8_t layout)
{
    gst = (wasixnet_guest_t){ gmem, GMEM, ps, layout };
    gfill();
}
/* Writes the part of [off, off + n) that lies inside memory_size. */
void gwrite(uint8_t *mem, uint64_t off, const void *src, size_t n)
{
    if (off >= GMEM)
        return;
    if (n > GMEM - off)
        n = (size_t)(GMEM - off);
    memcpy(mem + off, src, n);
}
void gput_addr(uint64_t off, const wasixnet_addr_t *a)
{
    uint8_t b[MAX_IMG];
    gwrite(gmem, off, b, img_addr(gst.layout, true, a, b));
}
void gput_cidr(uint64_t off, const wasixnet_addr_cidr_t *c)
{
    uint8_t b[MAX_IMG];
    gwrite(gmem, off, b, img_cidr(gst.layout, true, c, b));
}
void gput_ts(uint64_t off, const wasixnet_option_timestamp_t *t)
{
    uint8_t b[TS_SIZE];
    gwrite(gmem, off, b, img_ts(true, t, b));
}
void gput_cell(uint8_t *mem, uint64_t off, uint64_t v, unsigned width)
{
    uint8_t b[8];
    put_le(b, v, width);
    gwrite(mem, off, b, width);
}
void gexp_begin(void) { memcpy(gexp, gmem, sizeof gmem); }
void gexp_entries(int which, uint64_t off, const void *entries, uint32_t n)
{
    uint8_t b[MAX_IMG];
    const size_t s = stride_of(which, gst.layout);
    for (uint32_t i = 0; i < n; i++)
        gwrite(gexp, off + i * s, b, img_entry(which, gst.layout, entries, i, b));
}
bool gexp_check_(where_t w, const char *what)
{
    size_t first = SIZE_MAX, last = 0, count = 0;
    for (size_t i = 0; i < sizeof gmem; i++)
        if (gmem[i] != gexp[i]) {
            if (first == SIZE_MAX)
                first = i;
            last = i;
            count++;
        }
    if (count == 0)
        return report(w, true, "");
    return report(w, false,
                  "%s: %zu guest-memory bytes differ from the expected ones, offsets %zu..%zu (first: expected %02x, "
                  "got %02x)%s",
                  what, count, first, last, gexp[first], gmem[first], last >= GMEM ? " (past memory_size!)" : "");
}

const char *layout_name(uint8_t layout) { return layout == LAYOUT_V1 ? "wasix_v1" : "Wasmer"; }
