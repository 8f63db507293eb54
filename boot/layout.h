/* Where the kernel lives; shared by the linker script, boot assembly and C. */
#ifndef BOOT_LAYOUT_H
#define BOOT_LAYOUT_H
#include "kernel/status.h"

#define KERNEL_VIRT 0xFFFFFFFFC0000000
#define KERNEL_PHYS_LOAD 0x100000
#define KERNEL_STACK_SIZE 0x8000
#define KERNEL_MAX_IMAGE 0x400000 /* image (incl. .bss) fits the 4 MiB of kernel mapping */

#endif
