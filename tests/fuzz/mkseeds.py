#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/NAME/ of the fuzz harnesses (a few valid inputs
each, in the input format documented at the top of tests/fuzz/fuzz_NAME.c).  Run it from the
repository root after changing an input format; its output is committed.  Files named
regress-* are inputs the fuzzer found (kept as regression tests): this script leaves them."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(name, seed, data):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as f:
        f.write(bytes(data))


# ---- loader: multiboot images ----

MB_MAGIC = 0x1BADB002


def mb_header(flags, extra=b""):
    return struct.pack("<III", MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xFFFFFFFF) + extra


def elf32(segments, entry, mbflags=0x3):
    """segments: list of (paddr, data, memsz).  The multiboot header follows the headers."""
    phoff, phnum = 52, len(segments)
    hdr_end = phoff + 32 * phnum
    mb = mb_header(mbflags)
    off = (hdr_end + len(mb) + 15) & ~15
    body, phdrs = b"", b""
    for paddr, data, memsz in segments:
        phdrs += struct.pack("<IIIIIIII", 1, off + len(body), paddr, paddr, len(data), memsz, 7,
                             0x1000)
        body += data
    eh = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, phoff, 0, 0, 52, 32, phnum, 40, 0, 0)
    img = eh + phdrs + mb
    img += bytes(off - len(img)) + body
    return img


def elf64(segments, entry, mbflags=0x3):
    phoff, phnum = 64, len(segments)
    hdr_end = phoff + 56 * phnum
    mb = mb_header(mbflags)
    off = (hdr_end + len(mb) + 15) & ~15
    body, phdrs = b"", b""
    for paddr, data, memsz in segments:
        phdrs += struct.pack("<IIQQQQQQ", 1, 7, off + len(body), paddr, paddr, len(data), memsz,
                             0x1000)
        body += data
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0, 64, 56, phnum, 64, 0, 0)
    img = eh + phdrs + mb
    img += bytes(off - len(img)) + body
    return img


def aout_kludge():
    load = 0x100000
    code = b"\xfa\xf4\xeb\xfd" + bytes(60)  # cli; hlt; jmp $-1
    # header at offset 0: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr
    size = 32 + len(code)
    hdr = mb_header(0x10003, struct.pack("<IIIII", load, load, load + size, load + size + 0x2000,
                                         load + 32))
    return hdr + code


code = b"\xfa\xf4\xeb\xfd" + bytes(28)
put("loader", "elf32-one-segment", elf32([(0x100000, code, 0x3000)], 0x100000))
put("loader", "elf32-two-segments",
    elf32([(0x100000, code, 0x1000), (0x200000, b"data" * 4, 0x8000)], 0x100000))
put("loader", "elf64-one-segment", elf64([(0x200000, code, 0x2000)], 0x200000))
put("loader", "aout-kludge", aout_kludge())

# ---- bootinfo: fake physical memory from 0, struct mb_info at 0 ----


def boot_memory(flags, cmdline, mods, entries, mem_lower=639):
    """mb_info at 0, module table at 0x60, memory map at 0x160, then the strings."""
    mmap = b"".join(struct.pack("<IQQI", 20, a, l, t) for a, l, t in entries)
    assert len(mmap) <= 0x100
    mem = bytearray(0x260)
    strings = bytearray()

    def string(text):
        addr = 0x260 + len(strings)
        strings.extend(text.encode() + b"\0")
        return addr

    struct.pack_into("<III", mem, 0, flags, mem_lower, 0x7fc00)
    struct.pack_into("<I", mem, 16, string(cmdline))
    struct.pack_into("<II", mem, 20, len(mods), 0x60)  # mods_count, mods_addr
    struct.pack_into("<II", mem, 44, len(mmap), 0x160)  # mmap_length, mmap_addr
    for i, (start, end, mc) in enumerate(mods):
        struct.pack_into("<IIII", mem, 0x60 + 16 * i, start, end, string(mc), 0)
    mem[0x160:0x160 + len(mmap)] = mmap
    return mem + strings


PC = [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0xf0000, 0x10000, 2), (0x100000, 0x7ee0000, 1),
      (0x7fe0000, 0x20000, 3), (0xfffc0000, 0x40000, 2)]
put("bootinfo", "pc-two-modules",
    boot_memory(0x4f, "verbose slice=32M", [(0x200000, 0x240000, "build/matryoshka.elf"),
                                            (0x240000, 0x250000, "hello status=3")], PC))
put("bootinfo", "long-cmdlines",
    boot_memory(0x4c, "slice=64M " + "x" * 300, [(0x200000, 0x200000, "m" * 255),
                                               (0x300000, 0x300001, "n" * 254)], PC[:4]))
put("bootinfo", "top-of-address-space",
    boot_memory(0x40, "", [], [(0x100000, 0x1000000, 1), (0xffffffff00000000, 0xfffff000, 1),
                               (0xffffffffffffd000, 0x1000, 2), (0xfffffffffffff000, 0x1000, 1)]))
put("bootinfo", "overlapping-entries",
    boot_memory(0x44, "", [], [(0x100000, 0x1000000, 1), (0x800000, 0x1000, 2),
                               (0x800800, 0x10000, 1), (0x100000000, 0x40000000, 1),
                               (0xfffff800, 0x1000, 2)]))

# ---- memmap: window byte, then (op, a, b, type) records ----


def ops(window, records):
    return bytes([window]) + b"".join(bytes(r) for r in records)


put("memmap", "ram-reserve-remove",
    ops(0, [(0, 0, 60, 8), (0, 10, 14, 1), (1, 20, 21, 2), (2, 30, 40, 0), (3, 0, 60, 0x20)]))
put("memmap", "slice-2m", ops(2, [(0, 0, 66, 8), (1, 5, 6, 1), (3, 0, 66, 0x0a), (2, 50, 66, 0),
                                  (3, 0, 66, 0x06)]))
# window 1 (scale 1 MiB) has 72 intervals: fill them with alternating types, up to a full map
put("memmap", "nearly-full", ops(1, [(0, i, i + 1, 1 + i % 2) for i in range(60)] +
                             [(2, 20, 21, 0), (3, 0, 72, 0), (0, 30, 33, 8), (1, 40, 41, 5)]))
put("memmap", "full", ops(1, [(0, i, i + 1, 1 + i % 2) for i in range(70)] +
                      [(2, 10, 11, 0), (0, 50, 52, 8), (3, 0, 72, 0)]))
put("memmap", "top-of-space", ops(5, [(0, 0, 70, 8), (1, 3, 9, 3), (2, 40, 50, 0),
                                      (3, 0, 70, 0x04)]))

# ---- nested: offer, fix-ups, exit, map bits, then the vmcb ----


def vmcb(long_mode):
    v = bytearray(0x1000)
    struct.pack_into("<IIIIII", v, 0, 0x00110011, 0x00ff00ff, 1 << 14, (1 << 27) | (1 << 28),
                     1, 0)  # intercepts: CR0/4, DR, #PF; IOIO, MSR; VMRUN
    struct.pack_into("<QQQI", v, 0x40, 0x10000, 0x20000, 0, 1)  # IOPM, MSRPM, TSC, ASID
    struct.pack_into("<Q", v, 0x60, (1 << 24) | (1 << 25) | (1 << 9))  # V_INTR_MASKING, vGIF
    struct.pack_into("<Q", v, 0x90, 1)  # nested paging
    struct.pack_into("<Q", v, 0xa8, (1 << 31) | (3 << 8) | (1 << 11) | 14)  # #PF with code
    struct.pack_into("<Q", v, 0xb0, 0x30000)  # nested CR3
    if long_mode:
        struct.pack_into("<HHIQ", v, 0x410, 0x08, 0x29b, 0xffffffff, 0)  # CS with L
        struct.pack_into("<Q", v, 0x4d0, (1 << 12) | (1 << 10) | (1 << 8))  # SVME LMA LME
        struct.pack_into("<QQQ", v, 0x548, 0x20, 0x40000, 0x80000011)  # CR4.PAE, CR3, CR0
    else:
        struct.pack_into("<HHIQ", v, 0x410, 0x08, 0x49b, 0xffffffff, 0)  # CS with D
        struct.pack_into("<Q", v, 0x4d0, 1 << 12)
        struct.pack_into("<QQQ", v, 0x548, 0, 0, 0x11)
    struct.pack_into("<QQ", v, 0x560, 0x400, 0xffff0ff0)  # DR7, DR6
    return v[:0x700]


def nested(long_mode, code, info1, msr):
    h = bytes([15]) + struct.pack("<IIQQBBIQI", 0x18049, 8, 0, 0, 0, 0, code, info1, msr)
    h += bytes([2]) + struct.pack("<II", 2 * 0x3f8, 2 * (0x800 * 8 + 0x80 * 2) + 1)
    return h + vmcb(long_mode)


put("nested", "long-mode-msr", nested(True, 0x7c, 1, 0xc0000080))
put("nested", "legacy-ioio", nested(False, 0x7b, (0x3f8 << 16) | (1 << 4), 0))

# ---- npt12: n_cr3, gpa, access, maxphyaddr, nx, then 64-byte pages ----


def npt(gpa, leaf_level, leaf, access):
    pages = bytearray(64 * 8)
    table = 0
    for level in range(4, leaf_level - 1, -1):
        idx = (gpa >> (12 + 9 * (level - 1))) & 511
        e = leaf if level == leaf_level else ((table + 1) << 12) | 7
        struct.pack_into("<Q", pages, table * 64 + (idx % 8) * 8, e)
        table += 1
    return struct.pack("<QQQBB", 0, gpa, access, 48 - 32, 1) + pages


put("npt12", "4k-page", npt(0x1234, 1, 0xabcd000 | 7, 2))
put("npt12", "4k-page-nx", npt(0x7fff1234, 1, 0xabcd000 | 7 | (1 << 63), 0))
put("npt12", "2m-page-nx", npt(0x40212345, 2, 0x40000000 | 0x87 | (1 << 63), 16))
put("npt12", "1g-page-ro", npt(0x80123456, 3, 0xc0000000 | 0x85, 2))

# ---- insn_len: mode byte (bit 0 64-bit, bit 1 CS.D), then the bytes ----

for name, mode, b in [
    ("vmrun", 1, "0f01d8"),
    ("mov-rsp-disp32", 1, "488b842410010000"),
    ("rex-imm64", 1, "48b88877665544332211"),
    ("lock-cmpxchg", 3, "f00fb10d78563412"),
    ("mov-cr0", 2, "0f22c0"),
    ("sib-disp32", 2, "8b04a578563412"),
    ("16bit-in-out", 0, "66e5f4"),
    ("enter", 2, "c8100001"),
    ("15-bytes", 2, "66" * 14 + "90"),
    ("16-bytes", 2, "66" * 15 + "90"),
]:
    put("insn_len", name, bytes([mode]) + bytes.fromhex(b))

# ---- gva: CR0 CR3 CR4 EFER MAXPHYADDR la delta attrib cs_base len, then 64-byte pages ----


def gva(cr0, cr4, efer, la, attrib, pages, maxphy=48):
    h = struct.pack("<QQQQBQHHQB", cr0, 0, cr4, efer, maxphy, la, 0x123, attrib, 0, 15)
    return h + bytes(pages)


# 4-level long mode: la 0x401010 -> PML4[0] PDPT[0] PD[2] PT[1] -> page 4, code at 0x10
pg = bytearray(64 * 5)
for page, slot, val in [(0, 0, 0x1003), (1, 0, 0x2003), (2, 2, 0x3003), (3, 1, 0x4003)]:
    struct.pack_into("<Q", pg, page * 64 + slot * 8, val)
pg[4 * 64 + 0x10:4 * 64 + 0x17] = bytes.fromhex("48c7c001000000")
put("gva", "long-mode-4k", gva(0x80000011, 0x20, 0x500, 0x401010, 0x29b, pg))
# 32-bit paging: la 0x401010 -> PDE 1 (4 bytes at 4) -> PTE 1 (at 0x1004) -> page 2
pg = bytearray(64 * 3)
struct.pack_into("<I", pg, 4, 0x1003)
struct.pack_into("<I", pg, 64 + 4, 0x2003)
pg[2 * 64 + 0x10:2 * 64 + 0x12] = bytes.fromhex("0fa2")
put("gva", "32bit-paging", gva(0x80000011, 0, 0, 0x401010, 0x49b, pg))
# PAE: PDPTE 0 (at CR3) -> PD[2] -> 2 MiB page
pg = bytearray(64 * 2)
struct.pack_into("<Q", pg, 0, 0x1001)
struct.pack_into("<Q", pg, 64 + 16, 0x200083)
put("gva", "pae-2m", gva(0x80000011, 0x20, 0, 0x401010, 0x49b, pg))
# 32-bit paging with PSE: PDE 1 maps a 4 MiB page with PSE-36 bits (physical 35:32 = 0xf)
pg = bytearray(64)
struct.pack_into("<I", pg, 4, 0x00400083 | (0xf << 13))
put("gva", "32bit-pse36-4m", gva(0x80000011, 0x10, 0, 0x401010, 0x49b, pg, maxphy=36))
# 4-level long mode, 2 MiB page: PML4[0] PDPT[0] PD[2] with PS
pg = bytearray(64 * 3)
for page, slot, val in [(0, 0, 0x1003), (1, 0, 0x2003), (2, 2, 0x600083 | (1 << 63))]:
    struct.pack_into("<Q", pg, page * 64 + slot * 8, val)
put("gva", "long-mode-2m-nx", gva(0x80000011, 0x20, 0xd00, 0x401010, 0x29b, pg))
# 5-level long mode, 1 GiB page: PML5[0] PML4[0] PDPT[0] with PS
pg = bytearray(64 * 3)
for page, slot, val in [(0, 0, 0x1003), (1, 0, 0x2003), (2, 0, 0x40000083)]:
    struct.pack_into("<Q", pg, page * 64 + slot * 8, val)
put("gva", "la57-1g", gva(0x80000011, 0x1020, 0x500, 0x401010, 0x29b, pg))
