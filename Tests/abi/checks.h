/* Tests/abi/checks.h: the check the standalone C tests share (udp_abi_test, family_limit_test):
 * count it, and on failure print where and what, then exit 1 (a test stops at its first failure). */
#ifndef WASIXNET_TEST_CHECKS_H
#define WASIXNET_TEST_CHECKS_H

#include <stdio.h>
#include <stdlib.h>

static int checks;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        checks++;                                                                    \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#endif
