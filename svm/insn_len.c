#include "svm/insn_len.h"

/* What follows the opcode: immediate kind (SDM vol. 2 A.2.2 operand-size codes) and flags. */
enum imm_kind {
	IMM_NONE,
	IMM_B,	   /* ib */
	IMM_W,	   /* iw */
	IMM_Z,	   /* iz: 2 bytes with a 16-bit operand size, else 4 */
	IMM_V,	   /* iv: the operand size, 8 with REX.W (MOV r, imm: B8-BF) */
	IMM_MOFFS, /* moffs: the address size (MOV A0-A3) */
	IMM_ENTER, /* iw, ib */
	IMM_FAR,   /* ptr16:16 or ptr16:32 (CALLF/JMPF 9A/EA) */
};
#define IMM_MASK   0x00f
#define F_MODRM	   0x010 /* a ModRM byte follows */
#define F_REG_ONLY 0x020 /* MOV CR/DR: mod is ignored, the operand is always a register */
#define F_BAD	   0x040 /* not decoded here, or #UD in this mode */
#define F_TEST_IMM 0x080 /* F6/F7: only /0 and /1 (TEST) carry the immediate */
#define F_MEM_ONLY 0x100 /* LES/LDS/BOUND outside 64-bit mode: mod=11 is VEX/EVEX instead */
#define F_REG0	   0x200 /* 8F: POP Ev is /0, other reg values are XOP */
#define F_BRANCH   0x400 /* rel16/32: with 66 in 64-bit mode AMD and Intel differ */

/* One-byte opcode map (SDM vol. 2 table A-2, APM vol. 3 tables ). */
static unsigned op1_info(u8 op, bool lm)
{
	unsigned bad64 = lm ? F_BAD : 0; /* invalid in 64-bit mode */

	if (op < 0x40) {
		switch (op & 7) {
		case 4: /* ALU AL, ib */
			return IMM_B;
		case 5: /* ALU eAX, iz */
			return IMM_Z;
		case 6: /* PUSH/POP ES CS SS DS, DAA, DAS, AAA, AAS */
		case 7:
			return bad64;
		default: /* ALU with ModRM */
			return F_MODRM;
		}
	}
	switch (op >> 4) {
	case 0x4: /* INC/DEC r (REX in 64-bit mode), PUSH/POP r */
	case 0x5:
		return IMM_NONE;
	case 0x6:
		if (op <= 0x61) /* PUSHA, POPA */
			return bad64;
		if (op == 0x62) /* BOUND; EVEX in 64-bit mode */
			return bad64 | F_MODRM | F_MEM_ONLY;
		if (op == 0x63) /* ARPL, MOVSXD */
			return F_MODRM;
		if (op >= 0x6c) /* INS, OUTS */
			return IMM_NONE;
		if (op >= 0x68) /* PUSH iz, IMUL Gv,Ev,iz, PUSH ib, IMUL Gv,Ev,ib */
			return (op & 1 ? F_MODRM : 0) | (op & 2 ? IMM_B : IMM_Z);
		/* 64-67 are prefixes */
		return F_BAD;
	case 0x7: /* Jcc rel8 */
		return IMM_B;
	case 0x8:
		if (op == 0x81)
			return F_MODRM | IMM_Z;
		if (op <= 0x83) /* group 1 Eb,ib / Ev,ib; 82 is invalid in 64-bit mode */
			return (op == 0x82 ? bad64 : 0) | F_MODRM | IMM_B;
		return F_MODRM | (op == 0x8f ? F_REG0 : 0); /* TEST XCHG MOV LEA MOV-seg POP */
	case 0x9: /* NOP/PAUSE, XCHG, CBW, CWD, FWAIT, PUSHF, POPF, SAHF, LAHF; CALLF */
		return op == 0x9a ? bad64 | IMM_FAR : IMM_NONE;
	case 0xa:
		if (op <= 0xa3)
			return IMM_MOFFS;
		if (op == 0xa8)
			return IMM_B;
		if (op == 0xa9)
			return IMM_Z;
		/* MOVS CMPS STOS LODS SCAS */
		return IMM_NONE;
	case 0xb: /* MOV r8, ib; MOV r, iv */
		return op < 0xb8 ? IMM_B : IMM_V;
	case 0xc:
		switch (op) {
		case 0xc0: /* group 2 Eb,ib / Ev,ib */
		case 0xc1:
		case 0xc6: /* MOV Eb,ib; XABORT */
			return F_MODRM | IMM_B;
		case 0xc7: /* MOV Ev,iz; XBEGIN */
			return F_MODRM | IMM_Z;
		case 0xc2: /* RET iw, RETF iw */
		case 0xca:
			return IMM_W;
		case 0xc4: /* LES, LDS; VEX in 64-bit mode */
		case 0xc5:
			return bad64 | F_MODRM | F_MEM_ONLY;
		case 0xc8:
			return IMM_ENTER;
		case 0xcd: /* INT ib */
			return IMM_B;
		case 0xce: /* INTO */
			return bad64;
		default: /* RET, LEAVE, RETF, INT3, IRET */
			return IMM_NONE;
		}
	case 0xd:
		if (op <= 0xd3 || op >= 0xd8) /* group 2 by 1 or CL, x87 escapes */
			return F_MODRM;
		if (op <= 0xd5) /* AAM ib, AAD ib */
			return bad64 | IMM_B;
		return op == 0xd7 ? IMM_NONE : F_BAD; /* XLAT; D6 (SALC) is undefined */
	case 0xe:
		if (op == 0xe8 || op == 0xe9) /* CALL, JMP rel16/32 */
			return IMM_Z | F_BRANCH;
		if (op == 0xea) /* JMPF ptr */
			return bad64 | IMM_FAR;
		if (op >= 0xec) /* IN, OUT with DX */
			return IMM_NONE;
		return IMM_B; /* LOOPcc, JrCXZ, IN/OUT ib, JMP rel8 */
	default:
		if (op == 0xf6)
			return F_MODRM | F_TEST_IMM | IMM_B;
		if (op == 0xf7)
			return F_MODRM | F_TEST_IMM | IMM_Z;
		if (op >= 0xfe) /* groups 4 and 5 */
			return F_MODRM;
		/* INT1, HLT, CMC, CLC STC CLI STI CLD STD; F0 F2 F3 are prefixes */
		return op == 0xf0 || op == 0xf2 || op == 0xf3 ? F_BAD : IMM_NONE;
	}
}

/* Two-byte (0F) map, general-purpose and system rows (SDM vol. 2 A-3, APM vol. 3 ). */
static unsigned op2_info(u8 op)
{
	switch (op >> 4) {
	case 0x0:
		if (op <= 0x03 || op == 0x0d) /* groups 6 and 7, LAR, LSL, PREFETCH group */
			return F_MODRM;
		/* SYSCALL CLTS SYSRET INVD WBINVD UD2; not 0F 0F (3DNow!) and the rest */
		return (op >= 0x05 && op <= 0x09) || op == 0x0b ? IMM_NONE : F_BAD;
	case 0x1: /* 18-1F: PREFETCHh, hint NOPs, ENDBR; 10-17 are SIMD */
		return op >= 0x18 ? F_MODRM : F_BAD;
	case 0x2: /* MOV r, CRn / DRn and back; 24-2F are SIMD */
		return op <= 0x23 ? F_MODRM | F_REG_ONLY : F_BAD;
	case 0x3: /* WRMSR RDTSC RDMSR RDPMC SYSENTER SYSEXIT, GETSEC; 38 and 3A are maps */
		return op <= 0x35 || op == 0x37 ? IMM_NONE : F_BAD;
	case 0x4: /* CMOVcc */
	case 0x9: /* SETcc */
		return F_MODRM;
	case 0x8: /* Jcc rel16/32 */
		return IMM_Z | F_BRANCH;
	case 0xa:
		switch (op) {
		case 0xa0: /* PUSH FS, POP FS, CPUID, PUSH GS, POP GS, RSM */
		case 0xa1:
		case 0xa2:
		case 0xa8:
		case 0xa9:
		case 0xaa:
			return IMM_NONE;
		case 0xa4: /* SHLD, SHRD Ev,Gv,ib */
		case 0xac:
			return F_MODRM | IMM_B;
		case 0xa6:
		case 0xa7:
			return F_BAD;
		default: /* BT, SHLD/SHRD by CL, BTS, group 15, IMUL */
			return F_MODRM;
		}
	case 0xb: /* CMPXCHG LSS BTR LFS LGS MOVZX POPCNT UD1, group 8, BTC BSF BSR MOVSX */
		return F_MODRM | (op == 0xba ? IMM_B : 0);
	case 0xc:
		if (op >= 0xc8) /* BSWAP */
			return IMM_NONE;
		if (op <= 0xc1 || op == 0xc7) /* XADD, group 9 */
			return F_MODRM;
		return F_BAD;
	default:
		return F_BAD;
	}
}

static bool legacy_prefix(u8 c)
{
	switch (c) {
	case 0x26: /* ES CS SS DS FS GS */
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x64:
	case 0x65:
	case 0x66: /* operand size, address size */
	case 0x67:
	case 0xf0: /* LOCK, REPNE, REP */
	case 0xf2:
	case 0xf3:
		return true;
	default:
		return false;
	}
}

/*
 * Bytes taken by ModRM, SIB and displacement at p[0] (SDM vol. 2 2.1.5 tables 2-1 to 2-3, APM
 * vol. 3 1.4), or -1 if more than avail.  16-bit addressing has no SIB, [disp16] at mod=00
 * rm=110 and a disp8/disp16 for mod=01/10.  32/64-bit: rm=100 brings a SIB whose base=101
 * means [index*scale + disp32] at mod=00; mod=00 rm=101 is disp32 (RIP-relative in 64-bit
 * mode, SDM 2.2.1.6); mod=01/10 add disp8/disp32.  REX.B does not change these special cases.
 */
static int modrm_len(const u8 *p, unsigned avail, unsigned asz, bool reg_only)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
	if (mod == 3 || reg_only)
		return 1;
	if (asz == 2) {
		n += mod == 0 ? (rm == 6 ? 2 : 0) : mod;
	} else {
		if (rm == 4) {
			if (avail < 2)
				return -1;
			n++;
			if (mod == 0 && (p[1] & 7) == 5)
				n += 4;
		} else if (mod == 0 && rm == 5) {
			n += 4;
		}
		n += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	}
	return n <= avail ? (int)n : -1;
}

static unsigned imm_len(unsigned kind, unsigned osz, unsigned asz)
{
	switch (kind) {
	case IMM_B:
		return 1;
	case IMM_W:
		return 2;
	case IMM_Z:
		return osz == 2 ? 2 : 4;
	case IMM_V:
		return osz;
	case IMM_MOFFS:
		return asz;
	case IMM_ENTER:
		return 3;
	case IMM_FAR:
		return 2 + (osz == 2 ? 2 : 4);
	default:
		return 0;
	}
}

int insn_len(const u8 *b, unsigned avail, bool long_mode, bool cs_d)
{
	unsigned n = MIN(avail, INSN_MAX_LEN), i, osz, asz, info;
	bool opsize = false, adsize = false;
	u8 rex = 0;

	/*
	 * Prefixes in any order (SDM vol. 2 2.1.1); a REX counts only right before the opcode,
	 * one followed by a legacy prefix is ignored (2.2.1).  Outside 64-bit mode 40-4F are
	 * INC/DEC.
	 */
	for (i = 0;; i++) {
		if (i >= n)
			return -1;
		if (legacy_prefix(b[i])) {
			opsize |= b[i] == 0x66;
			adsize |= b[i] == 0x67;
			rex = 0;
		} else if (long_mode && (b[i] & 0xf0) == 0x40) {
			rex = b[i];
		} else {
			break;
		}
	}

	/* Effective operand and address sizes in bytes (SDM vol. 1 3.6.1, tables 3-3 and 3-4). */
	if (long_mode) {
		osz = (rex & 8) ? 8 : opsize ? 2 : 4;
		asz = adsize ? 4 : 8;
	} else {
		unsigned def = cs_d ? 4 : 2;
		osz = opsize ? 6 - def : def;
		asz = adsize ? 6 - def : def;
	}

	if (b[i] == 0x0f) {
		if (++i >= n)
			return -1;
		info = op2_info(b[i]);
	} else {
		info = op1_info(b[i], long_mode);
	}
	i++;
	if ((info & F_BAD) || ((info & F_BRANCH) && long_mode && opsize))
		return -1;

	if (info & F_MODRM) {
		if (i >= n)
			return -1;
		unsigned mod = b[i] >> 6, reg = (b[i] >> 3) & 7;
		if (((info & F_MEM_ONLY) && mod == 3) || ((info & F_REG0) && reg != 0))
			return -1;
		if ((info & F_TEST_IMM) && reg >= 2)
			info &= ~(unsigned)IMM_MASK;
		int m = modrm_len(b + i, n - i, asz, info & F_REG_ONLY);
		if (m < 0)
			return -1;
		i += (unsigned)m;
	}
	i += imm_len(info & IMM_MASK, osz, asz);
	return i <= n ? (int)i : -1;
}
