/* Small formatted printing: %d %i %u %x %X %p %s %c %%, flags '-' '0', width, l/ll/z. */
#ifndef LIB_PRINTF_H
#define LIB_PRINTF_H
#include "lib/types.h"

typedef void (*putc_fn)(void *ctx, char c);

void fmt_vformat(putc_fn out, void *ctx, const char *fmt, va_list ap);
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

#endif
