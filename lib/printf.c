#include "lib/printf.h"
#include "lib/string.h"

static void emit_num(putc_fn out, void *ctx, u64 v, unsigned base, bool upper, bool neg, int width,
		     bool zero, bool left)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	int len = n + (neg ? 1 : 0);
	if (!left && !zero)
		for (; width > len; width--)
			out(ctx, ' ');
	if (neg)
		out(ctx, '-');
	if (!left && zero)
		for (; width > len; width--)
			out(ctx, '0');
	while (n)
		out(ctx, tmp[--n]);
	if (left)
		for (; width > len; width--)
			out(ctx, ' ');
}

void fmt_vformat(putc_fn out, void *ctx, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			out(ctx, *fmt);
			continue;
		}
		fmt++;
		bool left = false, zero = false;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else
				break;
		}
		int width = 0;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		int prec = -1;
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		int lng = 0;
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			s64 v = lng ? va_arg(ap, s64) : va_arg(ap, int);
			emit_num(out, ctx, v < 0 ? 0 - (u64)v : (u64)v, 10, false, v < 0, width,
				 zero, left);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			u64 v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
			emit_num(out, ctx, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, width,
				 zero, left);
			break;
		}
		case 'p':
			out(ctx, '0');
			out(ctx, 'x');
			emit_num(out, ctx, (u64)(uintptr_t)va_arg(ap, void *), 16, false, false, 16,
				 true, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int len = 0;
			while ((prec < 0 || len < prec) && s[len])
				len++;
			if (!left)
				for (; width > len; width--)
					out(ctx, ' ');
			for (int i = 0; i < len; i++)
				out(ctx, s[i]);
			if (left)
				for (; width > len; width--)
					out(ctx, ' ');
			break;
		}
		case 'c':
			out(ctx, (char)va_arg(ap, int));
			break;
		case '%':
			out(ctx, '%');
			break;
		case 0:
			return;
		default:
			out(ctx, '%');
			out(ctx, *fmt);
			break;
		}
	}
}

struct sbuf {
	char *buf;
	size_t size, len;
};

static void sbuf_putc(void *ctx, char c)
{
	struct sbuf *b = ctx;
	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sbuf b = {buf, size, 0};
	fmt_vformat(sbuf_putc, &b, fmt, ap);
	if (size)
		buf[b.len < size ? b.len : size - 1] = 0;
	return (int)b.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
