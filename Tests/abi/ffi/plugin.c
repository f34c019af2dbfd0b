/*
 * plugin.c — section "plugin": the wasixnet_plugin_v1 table, then scenarios of the other sections
 * driven through it.
 */
#include "harness.h"
#include "sections.h"
#include "values.h"

/* ============================================================================================
 * Section: the plugin table, then a port driven through it
 * ========================================================================================== */

void test_plugin(void)
{
    section = "plugin";
    const uint8_t *tbl = w_plugin();
    if (!CHECK(tbl != NULL))
        return;
    uint32_t abi, size;
    memcpy(&abi, tbl + plugin_offsets[0], 4);
    memcpy(&size, tbl + plugin_offsets[1], 4);
    CHECK_EQ(WASIXNET_ABI_VERSION, abi);
    CHECK_EQ(sizeof(wasixnet_plugin_v1_t), size);
    CHECK(w_plugin() == tbl);
    void *table_fns[F_PLUGIN_COUNT];
    bool all_present = true;
    for (int i = 0; i < F_PLUGIN_COUNT; i++) {
        memcpy(&table_fns[i], tbl + plugin_offsets[2 + i], sizeof(void *));
        set_context("field %s", fns[i].field);
        all_present &= CHECK(table_fns[i] != NULL);
        CHECK(table_fns[i] == fns[i].sym);
    }
    clear_context();
    if (!all_present)
        return;
    /* the same scenarios again, every call through the table's pointers */
    for (int i = 0; i < F_PLUGIN_COUNT; i++)
        active[i] = table_fns[i];
    via = "plugin table: ";
    test_versions();
    test_lookup();
    test_hooks();
    guest_roundtrip(4, LAYOUT_V1);
    guest_roundtrip(8, LAYOUT_WASMER);
    test_sock_status();
    test_udp_states();
    test_udp_io();
    test_udp_guest();
    via = "";
    for (int i = 0; i < F_PLUGIN_COUNT; i++)
        active[i] = fns[i].sym;
}
