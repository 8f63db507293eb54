/* Freestanding string and memory helpers (no libc). */
#ifndef LIB_STRING_H
#define LIB_STRING_H
#include "lib/types.h"

#ifndef HOST_TEST
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#else
#include <string.h>
#endif

size_t strlcpy(char *dst, const char *src, size_t size);
/* Parses a number with optional 0x prefix and K/M/G suffix; returns false on junk. */
bool parse_size(const char *s, size_t len, u64 *out);

#endif
