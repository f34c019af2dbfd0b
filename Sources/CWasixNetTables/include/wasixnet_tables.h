/* This target has no interface of its own: its tables are reached through wasixnet.h. */
