#include "kernel/cmdline.h"
#include "lib/printf.h"
#include "lib/string.h"

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t word_len(const char *s)
{
	size_t n = 0;
	while (s[n] && s[n] != ' ' && s[n] != '\t')
		n++;
	return n;
}

static bool looks_like_image_name(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] == '/')
			return true;
	return n >= 4 && strncmp(w + n - 4, ".elf", 4) == 0;
}

const char *cmdline_args(const char *cmdline)
{
	const char *s = skip_spaces(cmdline ? cmdline : "");
	size_t n = word_len(s);
	if (n && looks_like_image_name(s, n))
		s = skip_spaces(s + n);
	return s;
}

const char *cmdline_find(const char *cmdline, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	for (const char *s = cmdline_args(cmdline); *s; s = skip_spaces(s)) {
		size_t n = word_len(s);
		if (n >= klen && strncmp(s, key, klen) == 0) {
			if (n == klen) {
				*vlen = 0;
				return s + n;
			}
			if (s[klen] == '=') {
				*vlen = n - klen - 1;
				return s + klen + 1;
			}
		}
		s += n;
	}
	return NULL;
}

bool cmdline_parse(const char *cmdline, struct options *o, char *err, size_t errlen)
{
	o->slice_size = SLICE_DEFAULT;
	o->verbose = false;
	o->trace = false;
	for (const char *s = cmdline_args(cmdline); *s; s = skip_spaces(s)) {
		size_t n = word_len(s);
		if (n == 7 && strncmp(s, "verbose", 7) == 0) {
			o->verbose = true;
		} else if (n == 5 && strncmp(s, "trace", 5) == 0) {
			o->trace = true;
		} else if (n > 6 && strncmp(s, "slice=", 6) == 0) {
			u64 v;
			if (!parse_size(s + 6, n - 6, &v) || v < SLICE_MIN || v > SLICE_MAX ||
			    (v & (MiB(2) - 1))) {
				fmt_snprintf(err, errlen,
					     "bad option '%.*s': slice= takes a multiple of 2M "
					     "between 4M and 4G",
					     (int)n, s);
				return false;
			}
			o->slice_size = v;
		} else {
			fmt_snprintf(err, errlen,
				     "unknown option '%.*s' (known: slice=SIZE, verbose, trace)",
				     (int)n, s);
			return false;
		}
		s += n;
	}
	return true;
}
