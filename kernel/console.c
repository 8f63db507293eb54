#include "kernel/console.h"
#include "kernel/x86.h"
#include "lib/printf.h"

#define COM1	 0x3f8
#define LSR_THRE BIT(5)
#define LSR_TEMT BIT(6)

static int level;
static bool at_line_start = true;

void console_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void console_set_level(int l)
{
	level = l;
}

int console_level(void)
{
	return level;
}

static void uart_putc(char c)
{
	/* Bounded wait: a missing UART must not hang the level. */
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & LSR_THRE); i++)
		;
	outb(COM1, (u8)c);
}

void console_flush(void)
{
	/* Bochs drops the last bytes at shutdown unless the transmitter is empty. */
	for (int i = 0; i < 1000000 && !(inb(COM1 + 5) & LSR_TEMT); i++)
		;
}

static void prefix(void)
{
	uart_putc('[');
	uart_putc('L');
	if (level >= 10)
		uart_putc((char)('0' + level / 10 % 10));
	uart_putc((char)('0' + level % 10));
	uart_putc(']');
	uart_putc(' ');
}

void console_putc(char c)
{
	if (at_line_start && c != '\n')
		prefix();
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
	at_line_start = (c == '\n');
}

static void putc_cb(void *ctx, char c)
{
	(void)ctx;
	console_putc(c);
}

void kvprintf(const char *fmt, va_list ap)
{
	fmt_vformat(putc_cb, NULL, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}
