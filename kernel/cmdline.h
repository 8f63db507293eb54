/* The level's command line: "[NAME] option..." (GRUB omits the image name, QEMU keeps it). */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H
#include "lib/types.h"

struct options {
	u64 slice_size; /* bytes kept at the top of memory for this level */
	bool verbose;	/* print the memory map and nested-VMRUN failures */
	bool trace;	/* print every exit with its source level and route */
};

#define SLICE_DEFAULT MiB(16)
#define SLICE_MIN     MiB(4)
#define SLICE_MAX     GiB(4)

/* Returns the first option after the optional image name (a word with '/' or ".elf"). */
const char *cmdline_args(const char *cmdline);
/* Parses options; on error returns a message naming the bad word (written to err). */
bool cmdline_parse(const char *cmdline, struct options *o, char *err, size_t errlen);
/* Finds "key=value" or a bare "key" among the args; returns the value (or "" for bare). */
const char *cmdline_find(const char *cmdline, const char *key, size_t *vlen);

#endif
