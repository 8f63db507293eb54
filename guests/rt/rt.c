#include "guests/rt/rt.h"
#include "kernel/cmdline.h"
#include "kernel/multiboot.h"
#include "lib/string.h"
#include "vmm/policy.h"

struct guest_env env;
NORETURN void guest_start(u32 magic, u32 mbi_pa);

u64 arg_u64(const char *key, u64 def)
{
	size_t n;
	const char *v = cmdline_find(env.cmdline, key, &n);
	u64 out;
	return v && n && parse_size(v, n, &out) ? out : def;
}

bool arg_flag(const char *key)
{
	size_t n;
	return cmdline_find(env.cmdline, key, &n) != NULL;
}

static int detect_level(void)
{
	struct cpuid_regs sig = cpuid(0x40000000), info = cpuid(0x40000001);
	return policy_level_from_cpuid(&sig, &info);
}

void guest_start(u32 magic, u32 mbi_pa)
{
	env.level = detect_level();
	console_set_level(env.level);
	if (env.level == 0)
		console_init();
	env.cmdline = "";
	if (magic == MB_BOOT_MAGIC) {
		const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)mbi_pa;
		if (mbi->flags & MBI_CMDLINE)
			env.cmdline = (const char *)(uintptr_t)mbi->cmdline;
		if (mbi->flags & MBI_MMAP)
			env.have_map = memmap_from_multiboot(
			    &env.map, (const u8 *)(uintptr_t)mbi->mmap_addr, mbi->mmap_length);
	}
	int status = guest_main();
	end_run(status, status ? "guest failed" : "guest done");
}
