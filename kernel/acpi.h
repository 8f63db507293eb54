/* Counting CPUs from the ACPI MADT (ACPI 6.x section 5.2.12). Pure over a phys accessor. */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H
#include "lib/types.h"

struct phys_reader {
	/* Copies len bytes at pa into buf; returns false if pa is not readable. */
	bool (*read)(void *ctx, u64 pa, void *buf, u64 len);
	void *ctx;
};

/* Returns the number of enabled processors, or 0 if no valid RSDP/MADT was found. */
int acpi_count_cpus(const struct phys_reader *r);

#endif
