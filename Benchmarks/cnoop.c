/*
 * cnoop.c — the baseline for call overhead: a plain C function in a shared library, called
 * through the PLT exactly as a host calls wasixnet_port_mac. It takes the same kinds of arguments
 * (two pointers) and returns the same type (a 16-bit status), and does nothing with them.
 */
#include <stdint.h>

uint16_t cnoop(void *a, void *b);

uint16_t cnoop(void *a, void *b)
{
    (void)a;
    (void)b;
    return 0;
}
