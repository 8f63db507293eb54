/*
 * A level's life: find out which level we are, read the multiboot information, move to the
 * top slice of memory, load the guest (the first module) and hand over to the vendor code.
 */
#include "boot/layout.h"
#include "kernel/acpi.h"
#include "kernel/bootinfo.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/pagetable.h"
#include "kernel/palloc.h"
#include "kernel/panic.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "lib/string.h"
#include "vmm/vmm.h"

extern char __image_start[], __image_end[];
void relocate_image(u64 dst, u64 src, u64 len, u64 new_cr3);
NORETURN void kmain(u32 magic, u32 mbi_pa);

struct level this_level;
struct palloc kernel_pages;
static struct boot_info boot;

void *phys_ptr(u64 pa)
{
	return (void *)(uintptr_t)pa; /* physical memory is identity-mapped */
}

static void *palloc_ptr(void *ctx, u64 pa)
{
	(void)ctx;
	return phys_ptr(pa);
}

static void *bootinfo_ptr(u64 pa)
{
	return phys_ptr(pa);
}

u64 page_alloc(void)
{
	u64 pa = palloc_alloc(&kernel_pages);
	if (!pa)
		fatal(STATUS_NO_MEMORY,
		      "the level's slice is exhausted (%lu pages in use); "
		      "use a larger slice= option",
		      kernel_pages.used_pages);
	return pa;
}

u64 page_alloc_run(u64 n)
{
	u64 pa = palloc_alloc_run(&kernel_pages, n);
	if (!pa)
		fatal(STATUS_NO_MEMORY, "no %lu contiguous pages left in the level's slice", n);
	return pa;
}

static u64 pt_alloc(void *ctx)
{
	(void)ctx;
	return page_alloc();
}

static void pt_free(void *ctx, u64 pa)
{
	(void)ctx;
	palloc_free(&kernel_pages, pa);
}

const struct pt_mem kernel_pt_mem = {pt_alloc, palloc_ptr, NULL, pt_free};

static bool read_phys(void *ctx, u64 pa, void *buf, u64 len)
{
	(void)ctx;
	if (pa + len > GiB(4))
		return false;
	memcpy(buf, phys_ptr(pa), len);
	return true;
}

static int detect_level(void)
{
	struct cpuid_regs sig = cpuid(0x40000000), info = {0, 0, 0, 0};
	if (cpuid(1).ecx & BIT(31))
		info = cpuid(0x40000001);
	else
		sig = (struct cpuid_regs){0, 0, 0, 0};
	return policy_level_from_cpuid(&sig, &info);
}

static void hw_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	cpuid_count(leaf, sub, r);
}

void vmm_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	if (!cpuid_cache_lookup(&this_level.cpuid, leaf, sub, r))
		cpuid_count(leaf, sub, r);
}

static enum vendor detect_vendor(void)
{
	struct cpuid_regs r = cpuid(0);
	if (!memcmp(&r.ebx, "Genu", 4) && !memcmp(&r.edx, "ineI", 4) && !memcmp(&r.ecx, "ntel", 4))
		return VENDOR_INTEL;
	if (!memcmp(&r.ebx, "Auth", 4) && !memcmp(&r.edx, "enti", 4) && !memcmp(&r.ecx, "cAMD", 4))
		return VENDOR_AMD;
	fatal(STATUS_NO_FEATURE, "unknown CPU vendor: matryoshka needs Intel VT-x or AMD-V");
}

/* Moves the image to slice_start and maps KERNEL_VIRT there; identity-maps the rest. */
static void relocate(u64 slice_start, u64 slice_end, u64 map_top)
{
	u64 image_len = (u64)((uintptr_t)__image_end - (uintptr_t)__image_start);
	u64 image_phys = KERNEL_PHYS_LOAD;
	palloc_init(&kernel_pages, palloc_ptr, NULL);
	palloc_add_range(&kernel_pages, slice_start + image_len, slice_end);

	bool gb_pages = cpuid(0x80000001).edx & BIT(26);
	const struct pt_format *f = gb_pages ? &pt_x86 : &pt_x86_2m;
	u64 root = pt_new_root(&kernel_pt_mem);
	if (pt_map(f, &kernel_pt_mem, root, 0, 0, map_top, PT_RWX) != PT_OK ||
	    pt_map(f, &kernel_pt_mem, root, (u64)__image_start, slice_start, image_len, PT_RWX) !=
		PT_OK)
		panic("cannot build the kernel page tables");
	relocate_image(slice_start, image_phys, image_len, root);
}

static void check_one_cpu(void)
{
	struct phys_reader r = {read_phys, NULL};
	int cpus = acpi_count_cpus(&r);
	if (cpus > 1)
		fatal(STATUS_SMP,
		      "this machine has more than one CPU (%d in the ACPI MADT); matryoshka "
		      "supports one CPU for now: another would run outside virtualization "
		      "(boot with one CPU)",
		      cpus);
	if (cpus == 0)
		kprintf("note: no ACPI MADT found; assuming one CPU\n");
}

void kmain(u32 magic, u32 mbi_pa)
{
	int level = detect_level();
	console_set_level(level);
	if (level == 0)
		console_init(); /* deeper levels share the UART, already set up */
	trap_init();
	this_level.level = level;
	kprintf("matryoshka starting (level %d)\n", level);
	if (magic != MB_BOOT_MAGIC)
		fatal(STATUS_BAD_IMAGE, "not started by a multiboot loader (EAX=%x)", magic);

	const char *err = bootinfo_parse(phys_ptr(mbi_pa), bootinfo_ptr, &boot);
	if (err)
		fatal(STATUS_BAD_IMAGE, "bad multiboot information: %s", err);
	char msg[160];
	if (!cmdline_parse(boot.cmdline, &this_level.opt, msg, sizeof(msg)))
		fatal(STATUS_BAD_OPTION, "%s", msg);
	this_level.vendor = detect_vendor();
	/* The NX bit is reserved in page tables (and nested ones) unless EFER.NXE is set. */
	if (!(cpuid(0x80000001).edx & BIT(20)))
		fatal(STATUS_NO_FEATURE, "this CPU has no NX (CPUID 8000_0001h EDX bit 20)");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	check_one_cpu();

	u64 slice_start, slice_end;
	if (!memmap_choose_slice_below(&boot.map, this_level.opt.slice_size, GiB(4), &slice_start,
				       &slice_end))
		fatal(STATUS_NO_MEMORY, "not enough memory for a %lu MiB slice",
		      this_level.opt.slice_size >> 20);
	for (int i = 0; i < boot.nmods; i++)
		if (boot.mod[i].end > slice_start && boot.mod[i].start < slice_end)
			fatal(STATUS_NO_MEMORY, "module %d (%lx-%lx) overlaps the top of memory", i,
			      boot.mod[i].start, boot.mod[i].end);
	if (this_level.opt.verbose)
		for (int i = 0; i < boot.map.n; i++)
			kprintf("  mem %016lx-%016lx type %u\n", boot.map.r[i].base,
				boot.map.r[i].end, boot.map.r[i].type);
	u64 map_top = MAX(GiB(4), ALIGN_UP(memmap_ram_top(&boot.map), GiB(1)));
	relocate(slice_start, slice_end, map_top);
	kprintf("slice %lx-%lx (%lu MiB), image relocated to its base\n", slice_start, slice_end,
		(slice_end - slice_start) >> 20);

	this_level.sink_pa = page_alloc();
	memset(phys_ptr(this_level.sink_pa), 0xff, PAGE_SIZE);

	struct guest_boot gb;
	nest_prepare(&boot, slice_start, slice_end, &gb);
	cpuid_cache_fill(&this_level.cpuid, hw_cpuid);
	struct cpuid_regs ext1;
	vmm_cpuid(0x80000001, 0, &ext1);
	this_level.policy = (struct guest_policy){level, this_level.vendor, false, false, 0, 0,
						  policy_efer_optional(&ext1)};
	if (this_level.vendor == VENDOR_INTEL)
		vmx_main(&gb);
	svm_main(&gb);
}
