/* Fixed-width types for freestanding code (and host tests, which get <stdint.h>). */
#ifndef LIB_TYPES_H
#define LIB_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef int32_t s32;

#define KiB(x)	  ((u64)(x) << 10)
#define MiB(x)	  ((u64)(x) << 20)
#define GiB(x)	  ((u64)(x) << 30)
#define PAGE_SIZE 4096ull

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	 (((x) + ((a)-1)) & ~((u64)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a)-1))
#define BIT(n)		 (1ull << (n))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))

#define STATIC_ASSERT(c, m) _Static_assert(c, m)
#define PACKED		    __attribute__((packed))
#define NORETURN	    __attribute__((noreturn))
#define PRINTF_LIKE(f, a)   __attribute__((format(printf, f, a)))

#endif
