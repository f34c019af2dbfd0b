/* Drift check: the public header and the header Swift generates from the @c implementations,
 * in one translation unit. Any function whose C signature differs between the two fails to
 * compile here. (The Makefile also checks that every Swift export is declared in wasixnet.h.) */
#include "wasixnet.h"
#include "WasixNetABI-Swift.h"

int main(void) { return 0; }
