/* Multiboot v1 header constants (Multiboot Specification 0.6.96, section 3.1). */
#ifndef BOOT_MULTIBOOT_HEADER_H
#define BOOT_MULTIBOOT_HEADER_H
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_BOOT_MAGIC 0x2BADB002
#define MB_HF_PAGE_ALIGN (1 << 0)
#define MB_HF_MEMINFO (1 << 1)
#define MB_HF_AOUT_KLUDGE (1 << 16)
#define MB_HEADER_FLAGS (MB_HF_PAGE_ALIGN | MB_HF_MEMINFO | MB_HF_AOUT_KLUDGE)
#endif
