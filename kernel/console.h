/* The level's console: COM1, every line prefixed with "[Ln] ". */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include "lib/types.h"

void console_init(void);
void console_set_level(int level);
int console_level(void);
void console_putc(char c);
void console_flush(void); /* wait until the UART has sent everything */
void kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
void kvprintf(const char *fmt, va_list ap);

#endif
