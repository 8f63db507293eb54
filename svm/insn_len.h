/*
 * x86 instruction length decoding, for the NextRIP of intercepted instructions whose length
 * varies (AMD APM vol. 2 15.7.1, table 15-7).  Covers the legacy prefixes, REX, the whole
 * one-byte opcode map except VEX/EVEX/XOP, and the general-purpose and system instructions of
 * the two-byte (0F) map, with ModRM/SIB/displacement in 16-, 32- and 64-bit addressing
 * (Intel SDM vol. 2 chapter 2 and appendix A, AMD APM vol. 3 chapter 1 and appendix A).
 * SIMD instructions (the 0F 38/0F 3A maps, VEX, EVEX, most of 0F 10-7F and C2-FF) are not
 * decoded.  Pure.
 */
#ifndef SVM_INSN_LEN_H
#define SVM_INSN_LEN_H
#include "lib/types.h"

#define INSN_MAX_LEN 15

/*
 * Length (1..15) of the instruction at bytes[0], of which avail bytes are valid; -1 if it
 * cannot tell: unknown or mode-dependent opcode, more than avail bytes needed, or longer than
 * 15 bytes.  long_mode: 64-bit code segment (CS.L with EFER.LMA); cs_d: otherwise, CS.D
 * (32-bit default operand and address size) - false in real and virtual-8086 mode.
 */
int insn_len(const u8 *bytes, unsigned avail, bool long_mode, bool cs_d);

#endif
