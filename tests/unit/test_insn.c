/* svm/insn_len.c: instruction lengths (SDM vol. 2 chapter 2 and appendix A). */
#include "tests/unit/unit.h"

#include "lib/string.h"
#include "svm/insn_len.h"

/* ---- instruction lengths ---- */

enum mode { M64, M32, M16 }; /* 64-bit code; legacy with CS.D = 1; CS.D = 0 (real mode) */

struct insn_case {
	enum mode mode;
	int len; /* -1: cannot tell */
	const char *what, *bytes;
	unsigned n;
};
#define V(m, l, w, b)                                                                              \
	{                                                                                          \
		m, l, w, b, sizeof(b) - 1                                                          \
	}

static const struct insn_case cases[] = {
    /* MOV CR/DR: register form whatever mod says */
    V(M64, 3, "mov rax,cr0", "\x0f\x20\xc0"),
    V(M64, 3, "mov cr3,rax", "\x0f\x22\xd8"),
    V(M64, 4, "mov cr8,rax", "\x44\x0f\x22\xc0"),
    V(M64, 4, "mov r15,cr4", "\x41\x0f\x20\xe7"),
    V(M64, 4, "lock mov eax,cr0 (AMD cr8)", "\xf0\x0f\x20\xc0"),
    V(M64, 3, "mov cr0,rbp, mod=00 rm=101 ignored", "\x0f\x22\x05"),
    V(M64, 3, "mov rsp,cr0, mod=10 rm=100 ignored", "\x0f\x20\x84"),
    V(M64, 3, "mov rax,dr6", "\x0f\x21\xf0"),
    V(M64, 3, "mov dr7,rax", "\x0f\x23\xf8"),
    V(M16, 3, "mov eax,cr0 (real mode)", "\x0f\x20\xc0"),
    /* INVLPG and its addressing forms */
    V(M64, 3, "invlpg [rax]", "\x0f\x01\x38"),
    V(M64, 4, "invlpg [rsp]", "\x0f\x01\x3c\x24"),
    V(M64, 5, "invlpg [rsp+8]", "\x0f\x01\x7c\x24\x08"),
    V(M64, 8, "invlpg [rsp+disp32]", "\x0f\x01\xbc\x24\x78\x56\x34\x12"),
    V(M64, 7, "invlpg [rip+disp32]", "\x0f\x01\x3d\x78\x56\x34\x12"),
    V(M64, 8, "invlpg [eip+0]", "\x67\x0f\x01\x3d\x00\x00\x00\x00"),
    V(M64, 8, "invlpg [disp32] (SIB, no base)", "\x0f\x01\x3c\x25\x78\x56\x34\x12"),
    V(M64, 8, "invlpg [rcx*4+disp32]", "\x0f\x01\x3c\x8d\x00\x01\x00\x00"),
    V(M64, 8, "invlpg [rbp+rcx*4+disp32]", "\x0f\x01\xbc\x8d\x00\x01\x00\x00"),
    V(M64, 5, "invlpg [rbp+rcx*4+disp8]", "\x0f\x01\x7c\x8d\x10"),
    V(M64, 4, "invlpg [rbp+0]", "\x0f\x01\x7d\x00"),
    V(M64, 5, "invlpg [r13+0]", "\x41\x0f\x01\x7d\x00"),
    V(M64, 5, "invlpg [r12]", "\x41\x0f\x01\x3c\x24"),
    V(M64, 5, "invlpg [eax+disp8]", "\x67\x0f\x01\x78\x10"),
    V(M32, 7, "invlpg [disp32] (no RIP-relative)", "\x0f\x01\x3d\x78\x56\x34\x12"),
    V(M32, 4, "invlpg [esp]", "\x0f\x01\x3c\x24"),
    V(M32, 5, "invlpg [ebp+eax*2+0x10]", "\x0f\x01\x7c\x45\x10"),
    V(M32, 6, "invlpg [0x1234] (addr16)", "\x67\x0f\x01\x3e\x34\x12"),
    V(M32, 4, "invlpg [si] (addr16, no SIB)", "\x67\x0f\x01\x3c"),
    V(M16, 3, "invlpg [bx+si]", "\x0f\x01\x38"),
    V(M16, 5, "invlpg [0x1234]", "\x0f\x01\x3e\x34\x12"),
    V(M16, 4, "invlpg [bp+8]", "\x0f\x01\x7e\x08"),
    V(M16, 5, "invlpg [bx+0x1234]", "\x0f\x01\xbf\x34\x12"),
    V(M16, 3, "invlpg [si]", "\x0f\x01\x3c"),
    V(M16, 5, "invlpg [esp] (addr32)", "\x67\x0f\x01\x3c\x24"),
    /* LMSW SMSW SGDT SIDT LGDT LIDT, SLDT STR LLDT LTR, CLTS */
    V(M64, 3, "lmsw ax", "\x0f\x01\xf0"),
    V(M64, 4, "lmsw [rax+0x10]", "\x0f\x01\x70\x10"),
    V(M64, 3, "smsw eax", "\x0f\x01\xe0"),
    V(M64, 4, "smsw ax", "\x66\x0f\x01\xe0"),
    V(M64, 4, "smsw rax", "\x48\x0f\x01\xe0"),
    V(M64, 3, "sgdt [rax]", "\x0f\x01\x00"),
    V(M64, 3, "sidt [rbx]", "\x0f\x01\x0b"),
    V(M64, 4, "lgdt [rax+0x10]", "\x0f\x01\x50\x10"),
    V(M64, 7, "lidt [rip+0x1000]", "\x0f\x01\x1d\x00\x10\x00\x00"),
    V(M16, 5, "lgdt [0x1234]", "\x0f\x01\x16\x34\x12"),
    V(M16, 8, "lidt [disp32] (addr32)", "\x67\x0f\x01\x1d\x78\x56\x34\x12"),
    V(M64, 3, "sldt eax", "\x0f\x00\xc0"),
    V(M64, 3, "str [rax]", "\x0f\x00\x08"),
    V(M64, 3, "lldt ax", "\x0f\x00\xd0"),
    V(M64, 4, "ltr [rsp]", "\x0f\x00\x1c\x24"),
    V(M64, 7, "ltr [rip+disp32]", "\x0f\x00\x1d\x44\x33\x22\x11"),
    V(M64, 2, "clts", "\x0f\x06"),
    /* one-byte intercepted instructions */
    V(M64, 1, "pushf", "\x9c"),
    V(M64, 1, "popf", "\x9d"),
    V(M64, 2, "pushfw", "\x66\x9c"),
    V(M64, 1, "iret", "\xcf"),
    V(M64, 2, "iretq", "\x48\xcf"),
    V(M64, 2, "int 0x80", "\xcd\x80"),
    V(M64, 1, "int3", "\xcc"),
    V(M64, -1, "into (#UD in 64-bit mode)", "\xce"),
    V(M32, 1, "into", "\xce"),
    V(M64, 1, "int1", "\xf1"),
    V(M64, 1, "hlt", "\xf4"),
    V(M64, 2, "pause", "\xf3\x90"),
    V(M16, 2, "int 0x10", "\xcd\x10"),
    /* port I/O */
    V(M64, 2, "in al,0x60", "\xe4\x60"),
    V(M64, 2, "in eax,0x71", "\xe5\x71"),
    V(M64, 2, "out 0x80,al", "\xe6\x80"),
    V(M64, 2, "out 0xf4,eax", "\xe7\xf4"),
    V(M64, 1, "in al,dx", "\xec"),
    V(M64, 1, "in eax,dx", "\xed"),
    V(M64, 1, "out dx,al", "\xee"),
    V(M64, 1, "out dx,eax", "\xef"),
    V(M64, 2, "out dx,ax", "\x66\xef"),
    V(M64, 1, "insb", "\x6c"),
    V(M64, 1, "insd", "\x6d"),
    V(M64, 1, "outsb", "\x6e"),
    V(M64, 1, "outsd", "\x6f"),
    V(M64, 2, "rep insb", "\xf3\x6c"),
    V(M64, 3, "rep insw", "\xf3\x66\x6d"),
    V(M64, 3, "rep outsb cs:", "\xf3\x2e\x6e"),
    V(M64, 3, "rep outsd (addr32)", "\x67\xf3\x6f"),
    V(M16, 2, "in al,0x60 (real mode)", "\xe4\x60"),
    /* two- and three-byte system instructions */
    V(M64, 2, "cpuid", "\x0f\xa2"),
    V(M64, 2, "rdtsc", "\x0f\x31"),
    V(M64, 3, "rdtscp", "\x0f\x01\xf9"),
    V(M64, 2, "rdpmc", "\x0f\x33"),
    V(M64, 2, "rdmsr", "\x0f\x32"),
    V(M64, 2, "wrmsr", "\x0f\x30"),
    V(M64, 2, "invd", "\x0f\x08"),
    V(M64, 2, "wbinvd", "\x0f\x09"),
    V(M64, 3, "monitor", "\x0f\x01\xc8"),
    V(M64, 3, "mwait", "\x0f\x01\xc9"),
    V(M64, 3, "xsetbv", "\x0f\x01\xd1"),
    V(M64, 3, "vmrun", "\x0f\x01\xd8"),
    V(M64, 3, "vmmcall", "\x0f\x01\xd9"),
    V(M64, 3, "vmload", "\x0f\x01\xda"),
    V(M64, 3, "vmsave", "\x0f\x01\xdb"),
    V(M64, 3, "stgi", "\x0f\x01\xdc"),
    V(M64, 3, "clgi", "\x0f\x01\xdd"),
    V(M64, 3, "skinit", "\x0f\x01\xde"),
    V(M64, 3, "invlpga", "\x0f\x01\xdf"),
    V(M64, 2, "rsm", "\x0f\xaa"),
    V(M64, 4, "vmrun (addr32)", "\x67\x0f\x01\xd8"),
    /* prefixes */
    V(M64, 8, "cpuid with every segment prefix", "\x2e\x36\x3e\x26\x64\x65\x0f\xa2"),
    V(M64, 4, "REX then 66: REX ignored", "\x48\x66\x0f\xa2"),
    V(M64, 5, "two REX", "\x48\x41\x0f\x20\xc0"),
    V(M32, 1, "40 is INC EAX outside 64-bit mode", "\x40"),
    V(M32, 1, "48 is DEC EAX, not REX.W", "\x48"),
    V(M16, 1, "inc ax", "\x40"),
    V(M64, 15, "15 bytes", "\x66\x66\x2e\x48\x81\x84\x24\xd4\xc3\xb2\xa1\x78\x56\x34\x12"),
    /* immediates, operand and address sizes */
    V(M64, 10, "mov rax,imm64", "\x48\xb8\x01\x02\x03\x04\x05\x06\x07\x08"),
    V(M64, 5, "mov eax,imm32", "\xb8\x01\x02\x03\x04"),
    V(M64, 4, "mov ax,imm16", "\x66\xb8\x34\x12"),
    V(M64, 3, "mov r8b,imm8", "\x41\xb0\x01"),
    V(M32, 4, "mov ax,imm16", "\x66\xb8\x34\x12"),
    V(M16, 3, "mov ax,imm16", "\xb8\x34\x12"),
    V(M16, 6, "mov eax,imm32", "\x66\xb8\x01\x02\x03\x04"),
    V(M64, 10, "mov rax,[moffs64]", "\x48\xa1\x01\x02\x03\x04\x05\x06\x07\x08"),
    V(M64, 9, "mov eax,[moffs64]", "\xa1\x01\x02\x03\x04\x05\x06\x07\x08"),
    V(M64, 6, "mov eax,[moffs32] (addr32)", "\x67\xa1\x01\x02\x03\x04"),
    V(M32, 5, "mov eax,[moffs32]", "\xa1\x01\x02\x03\x04"),
    V(M32, 4, "mov eax,[moffs16] (addr16)", "\x67\xa1\x34\x12"),
    V(M16, 3, "mov al,[moffs16]", "\xa0\x34\x12"),
    V(M64, 2, "add al,1", "\x04\x01"),
    V(M64, 6, "add rax,imm32", "\x48\x05\x01\x02\x03\x04"),
    V(M64, 6, "add eax,imm32 (81)", "\x81\xc0\x01\x02\x03\x04"),
    V(M64, 5, "add ax,imm16 (81)", "\x66\x81\xc0\x34\x12"),
    V(M64, 3, "add eax,imm8 (83)", "\x83\xc0\x01"),
    V(M16, 5, "add word [bx+si+0x12],imm16", "\x81\x40\x12\x34\x12"),
    V(M64, 3, "test al,1", "\xf6\xc0\x01"),
    V(M64, 2, "not al", "\xf6\xd0"),
    V(M64, 6, "test eax,imm32", "\xf7\xc0\x01\x02\x03\x04"),
    V(M64, 7, "test rax,imm32", "\x48\xf7\xc0\x01\x02\x03\x04"),
    V(M64, 5, "test ax,imm16", "\x66\xf7\xc0\x34\x12"),
    V(M64, 2, "neg eax", "\xf7\xd8"),
    V(M64, 4, "enter 16,0", "\xc8\x10\x00\x00"),
    V(M64, 3, "ret 8", "\xc2\x08\x00"),
    V(M64, 10, "mov dword [rax+disp32],imm32", "\xc7\x80\x01\x02\x03\x04\x05\x06\x07\x08"),
    V(M64, 11, "mov qword [rip+x],imm32", "\x48\xc7\x05\x01\x02\x03\x04\x05\x06\x07\x08"),
    V(M64, 6, "imul eax,ecx,imm32", "\x69\xc1\x01\x02\x03\x04"),
    V(M64, 3, "imul eax,ecx,imm8", "\x6b\xc1\x05"),
    V(M64, 5, "push imm32", "\x68\x01\x02\x03\x04"),
    V(M64, 2, "push imm8", "\x6a\x01"),
    V(M64, 2, "mov ecx,[rax]", "\x8b\x08"),
    V(M64, 7, "lea rax,[rip+x]", "\x48\x8d\x05\x01\x02\x03\x04"),
    V(M64, 2, "pop rax (8f /0)", "\x8f\xc0"),
    V(M64, 2, "fld dword [rax]", "\xd9\x00"),
    /* branches */
    V(M64, 2, "jz rel8", "\x74\x10"),
    V(M64, 5, "call rel32", "\xe8\x01\x02\x03\x04"),
    V(M64, 5, "jmp rel32", "\xe9\x01\x02\x03\x04"),
    V(M64, 6, "jz rel32", "\x0f\x84\x01\x02\x03\x04"),
    V(M64, -1, "call with 66 (vendor-dependent)", "\x66\xe8\x01\x02\x03\x04"),
    V(M32, 4, "call rel16", "\x66\xe8\x34\x12"),
    V(M16, 3, "call rel16", "\xe8\x34\x12"),
    V(M32, 7, "callf ptr16:32", "\x9a\x01\x02\x03\x04\x08\x00"),
    V(M32, 6, "jmpf ptr16:16", "\x66\xea\x34\x12\x08\x00"),
    V(M16, 5, "callf ptr16:16", "\x9a\x34\x12\x00\xf0"),
    /* more of the 0F map */
    V(M64, 4, "shld eax,ebx,4", "\x0f\xa4\xd8\x04"),
    V(M64, 4, "bt eax,3", "\x0f\xba\xe0\x03"),
    V(M64, 3, "movzx eax,byte [rsi]", "\x0f\xb6\x06"),
    V(M64, 2, "bswap eax", "\x0f\xc8"),
    V(M64, 4, "cmpxchg16b [rsi]", "\x48\x0f\xc7\x0e"),
    V(M64, 3, "rdrand eax", "\x0f\xc7\xf0"),
    V(M64, 3, "xadd eax,ecx", "\x0f\xc1\xc8"),
    V(M64, 2, "syscall", "\x0f\x05"),
    V(M64, 3, "sysretq", "\x48\x0f\x07"),
    V(M64, 2, "ud2", "\x0f\x0b"),
    V(M64, 4, "endbr64", "\xf3\x0f\x1e\xfa"),
    V(M64, 5, "nop dword [rax+rax+0]", "\x0f\x1f\x44\x00\x00"),
    V(M64, 10, "nop word cs:[rax+rax+0]", "\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00"),
    /* mode-dependent one-byte opcodes */
    V(M32, 1, "push es", "\x06"),
    V(M32, 1, "pusha", "\x60"),
    V(M32, 2, "aam", "\xd4\x0a"),
    V(M32, 2, "bound eax,[eax]", "\x62\x00"),
    V(M32, 2, "les eax,[eax]", "\xc4\x00"),
    /* cannot tell */
    V(M64, -1, "push es in 64-bit mode", "\x06"),
    V(M64, -1, "aam in 64-bit mode", "\xd4\x0a"),
    V(M64, -1, "callf in 64-bit mode", "\x9a\x01\x02\x03\x04\x08\x00"),
    V(M64, -1, "salc", "\xd6"),
    V(M64, -1, "VEX c4", "\xc4\xe2\x79\x18\x00"),
    V(M64, -1, "VEX c5 (vzeroupper)", "\xc5\xf8\x77"),
    V(M32, -1, "VEX c5 (mod=11)", "\xc5\xf8\x77"),
    V(M32, -1, "EVEX 62 (mod=11)", "\x62\xf1\x7c\x48\x10\x00"),
    V(M64, -1, "XOP 8f /1", "\x8f\xe8\x78\xc0\xc0\x01"),
    V(M64, -1, "0f 38 map", "\x0f\x38\x00\xc0"),
    V(M64, -1, "0f 3a map", "\x0f\x3a\x0f\xc1\x08"),
    V(M64, -1, "3DNow!", "\x0f\x0f\xc0\xb4"),
    V(M64, -1, "movups (SIMD)", "\x0f\x10\xc0"),
};

/* Returns whether c checks out; prints what does not. */
static bool check_case(const struct insn_case *c)
{
	u8 buf[32];
	bool lm = c->mode == M64, d = c->mode == M32;
	memset(buf, 0x90, sizeof(buf)); /* trailing bytes must not matter */
	memcpy(buf, c->bytes, c->n);
	int got = insn_len(buf, sizeof(buf), lm, d);
	if (got != c->len) {
		print_error("%s: length %d, expected %d\n", c->what, got, c->len);
		return false;
	}
	if (c->len < 0)
		return true;
	if ((unsigned)c->len != c->n || insn_len(buf, c->n, lm, d) != c->len ||
	    insn_len(buf, c->n - 1, lm, d) != -1) {
		print_error("%s: not decoded from exactly its %u bytes\n", c->what, c->n);
		return false;
	}
	return true;
}

static void test_insn_table(void **state)
{
	(void)state;
	unsigned bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		bad += !check_case(&cases[i]);
	assert_int_equal(bad, 0);
}

static void test_insn_avail(void **state)
{
	(void)state;
	static const u8 b[] = {0x0f, 0x01, 0xbc, 0x24, 0x78, 0x56, 0x34, 0x12};
	for (unsigned n = 0; n < sizeof(b); n++)
		assert_int_equal(insn_len(b, n, true, false), -1);
	assert_int_equal(insn_len(b, sizeof(b), true, false), 8);
	/* a SIB byte needed but missing */
	assert_int_equal(insn_len(b, 3, true, false), -1);
}

static void test_insn_15_byte_limit(void **state)
{
	(void)state;
	u8 b[20];
	memset(b, 0x66, sizeof(b));
	b[14] = 0x90; /* 14 prefixes + NOP: 15 bytes */
	assert_int_equal(insn_len(b, sizeof(b), true, false), 15);
	assert_int_equal(insn_len(b, sizeof(b), false, true), 15);
	b[14] = 0x66;
	b[15] = 0x90; /* 16 bytes */
	assert_int_equal(insn_len(b, sizeof(b), true, false), -1);
	assert_int_equal(insn_len(b, 15, true, false), -1);
	memset(b, 0x66, sizeof(b)); /* prefixes only */
	assert_int_equal(insn_len(b, 16, true, false), -1);
	/* 15 REX prefixes */
	memset(b, 0x48, sizeof(b));
	assert_int_equal(insn_len(b, sizeof(b), true, false), -1);
	assert_int_equal(insn_len(b, sizeof(b), false, true), 1); /* DEC EAX */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_insn_table),
	    cmocka_unit_test(test_insn_avail),
	    cmocka_unit_test(test_insn_15_byte_limit),
	};
	return cmocka_run_group_tests_name("insn", tests, NULL, NULL);
}
