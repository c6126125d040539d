"""The function symbols of an ELF object (a vmlinux, a module's ``.ko``), read with the standard library.

Symbolisation needs, for a frame ``func+0xoff/0xsize``, where ``func`` starts, how big it
is and, in a relocatable object (a ``.ko``), which section it is in: what the kernel's
``scripts/faddr2line`` reads with ``readelf --symbols --sections`` and
``scripts/decode_stacktrace.sh`` with ``nm``. This module reads the ELF section headers and
symbol table directly (32 or 64 bits, either byte order), so no output format of a tool is
parsed and a module built with ``-ffunction-sections`` still says which section each
function is in.

Two sizes are kept for every function, because the kernel prints a third: ``%pS`` prints
the distance from the symbol to the next one (kallsyms knows no ELF sizes), which includes
the padding after the function, so a frame's ``/0xsize`` matches either the ELF
``st_size`` or that distance (:attr:`FunctionSymbol.span`).

References: ``include/uapi/linux/elf.h``; the System V gABI, chapter 4 (sections, symbol
table, ``SHN_XINDEX``).
"""

from __future__ import annotations

import bisect
import os
import struct
from collections import defaultdict
from dataclasses import dataclass

from .errors import SymbolizeError

__all__ = ["ElfObject", "FunctionSymbol"]

_MAGIC = b"\x7fELF"
_ET_REL = 1
_SHT_SYMTAB, _SHT_NOBITS, _SHT_SYMTAB_SHNDX = 2, 8, 18
_SHF_EXECINSTR = 0x4
_STT_NOTYPE, _STT_FUNC, _STT_SECTION, _STT_FILE = 0, 2, 3, 4
_SHN_UNDEF, _SHN_LORESERVE, _SHN_XINDEX = 0, 0xFF00, 0xFFFF
#: Sections whose presence means the object carries line tables (``.zdebug_*``: compressed, old style).
_DEBUG_SECTIONS = frozenset({".debug_line", ".zdebug_line"})

#: (header after e_ident, section header, symbol) layouts, by ELF class (1: 32 bits, 2: 64 bits).
#: Field order of the symbol differs between the classes; :meth:`ElfObject._symbols` reorders.
_LAYOUTS = {
    1: ("HHIIIIIHHHHHH", "IIIIIIIIII", "IIIBBH"),
    2: ("HHIQQQIHHHHHH", "IIQQQQIIQQ", "IBBHQQ"),
}


def _is_mapping_symbol(name: str) -> bool:
    """ARM/AArch64/RISC-V mapping symbols (``$x``, ``$d``) and assembler locals (``.L``, ``L0``),
    which kallsyms and faddr2line skip."""
    return name.startswith(("$", ".L", "L0"))


@dataclass(frozen=True, slots=True)
class FunctionSymbol:
    """One code symbol of an object: a function, or an assembly entry point (``SYM_CODE_START``)."""

    name: str
    value: int
    """Its address (vmlinux), or its offset in its section (a relocatable ``.ko``)."""
    size: int
    """The ELF ``st_size`` (0 for many assembly symbols)."""
    span: int
    """Distance to the next code symbol (in a ``.ko``: of its section), or to its section's end:
    the size kallsyms (and so ``%pS``) prints, padding included."""
    section: str
    """Name of the section it is in (``.text``, ``.text.unlikely``, ``.text.set_nx_huge_pages``)."""

    def fits(self, size: int) -> bool:
        """Whether a printed ``/0xsize`` is this symbol's size (ELF or kallsyms)."""
        return size in (self.size, self.span)


class ElfObject:
    """An ELF object's code symbols, looked up by name; read once, when built.

    Parameters
    ----------
    path : str or os.PathLike
        The object: a vmlinux, a module (``kvm.ko``) or its separate debug file (``kvm.ko.debug``).

    Raises
    ------
    SymbolizeError
        When the file cannot be read, is no ELF object, or has no symbol table.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        try:
            with open(self.path, "rb") as f:
                self._read(f)
        except OSError as err:
            raise SymbolizeError(f"cannot read {self.path}: {err.strerror or err}") from None
        except (struct.error, IndexError, ValueError) as err:
            raise SymbolizeError(f"{self.path}: not a readable ELF object ({err})") from None

    relocatable: bool
    """True for a relocatable object (``ET_REL``: a ``.ko``), whose symbol values are section
    offsets: ``addr2line`` then needs the section (``-j``)."""
    has_line_info: bool
    """Whether the object has line tables (``.debug_line``): without them addr2line answers ``??``."""

    def functions(self, name: str) -> list[FunctionSymbol]:
        """The code symbols called ``name`` (several when static functions share it), by address."""
        return self._by_name.get(name, [])

    def _read(self, f) -> None:
        ident = f.read(16)
        if len(ident) < 16 or ident[:4] != _MAGIC or ident[4] not in _LAYOUTS or ident[5] not in (1, 2):
            hint = " (a compressed image such as vmlinuz or bzImage? pass the vmlinux of the build)" \
                if ident[:2] in (b"\x1f\x8b", b"MZ") or b"HdrS" in ident else ""
            raise SymbolizeError(f"{self.path} is not an ELF object{hint}")
        order = "<" if ident[5] == 1 else ">"
        header_fmt, shdr_fmt, sym_fmt = (order + fmt for fmt in _LAYOUTS[ident[4]])
        header = struct.unpack(header_fmt, f.read(struct.calcsize(header_fmt)))
        e_type, shoff, shentsize, shnum, shstrndx = header[0], header[5], header[10], header[11], header[12]
        self.relocatable = e_type == _ET_REL
        if not shoff:
            raise SymbolizeError(f"{self.path} has no section headers")
        f.seek(shoff)
        first = struct.unpack(shdr_fmt, f.read(struct.calcsize(shdr_fmt)))
        shnum = shnum or first[5]  # more than 0xff00 sections: the count is in section 0's sh_size
        if shstrndx == _SHN_XINDEX:
            shstrndx = first[6]
        f.seek(shoff)
        table = f.read(shentsize * shnum)
        sections = [struct.unpack_from(shdr_fmt, table, i * shentsize) for i in range(shnum)]

        def contents(index: int) -> bytes:
            sh = sections[index]
            if sh[1] == _SHT_NOBITS:
                return b""
            f.seek(sh[4])
            return f.read(sh[5])

        names = contents(shstrndx)
        section_names = [names[sh[0]:names.index(b"\0", sh[0])].decode("utf-8", "replace") for sh in sections]
        self.has_line_info = not _DEBUG_SECTIONS.isdisjoint(section_names)
        symtab = next((i for i, sh in enumerate(sections) if sh[1] == _SHT_SYMTAB), None)
        if symtab is None:
            raise SymbolizeError(f"{self.path} has no symbol table (stripped): pass the unstripped object "
                                 "of the build, or its separate debug file")
        xindex = next((contents(i) for i, sh in enumerate(sections)
                       if sh[1] == _SHT_SYMTAB_SHNDX and sh[6] == symtab), b"")
        self._by_name = self._symbols(contents(symtab), contents(sections[symtab][6]), sym_fmt, ident[4],
                                      xindex, order, sections, section_names)

    def _symbols(self, data: bytes, strtab: bytes, sym_fmt: str, elf_class: int, xindex: bytes, order: str,
                 sections: list[tuple[int, ...]], section_names: list[str]) -> dict[str, list[FunctionSymbol]]:
        """Code symbols by name, with their kallsyms-style spans."""
        executable = {i for i, sh in enumerate(sections) if sh[2] & _SHF_EXECINSTR}
        starts: dict[int, set[int]] = defaultdict(set)  # section -> addresses where a symbol starts
        code = []
        for i, fields in enumerate(struct.iter_unpack(sym_fmt, data)):
            if elf_class == 1:
                st_name, value, size, info, _other, shndx = fields
            else:
                st_name, info, _other, shndx, value, size = fields
            if shndx == _SHN_XINDEX and xindex:
                shndx = struct.unpack_from(order + "I", xindex, 4 * i)[0]
            elif shndx == _SHN_UNDEF or shndx >= _SHN_LORESERVE:
                continue
            kind = info & 0xF
            if shndx not in executable or kind in (_STT_SECTION, _STT_FILE):
                continue
            name = strtab[st_name:strtab.index(b"\0", st_name)].decode("utf-8", "replace")
            if not name or _is_mapping_symbol(name):
                continue
            starts[shndx].add(value)
            if kind in (_STT_FUNC, _STT_NOTYPE):
                code.append((name, value, size, shndx))
        if self.relocatable:  # (every section starts at 0: a symbol's neighbours are in its section)
            ordered = {index: sorted(values) for index, values in starts.items()}
        else:  # (kallsyms sorts all code symbols by address: the next one may be in another section)
            everywhere = sorted(set().union(*starts.values()))
            ordered = dict.fromkeys(starts, everywhere)
        by_name: dict[str, list[FunctionSymbol]] = defaultdict(list)
        for name, value, size, shndx in sorted(set(code)):  # (an alias listed twice is one symbol)
            values = ordered[shndx]
            at = bisect.bisect_right(values, value)
            sh = sections[shndx]
            end = values[at] if at < len(values) else (0 if self.relocatable else sh[3]) + sh[5]
            by_name[name].append(FunctionSymbol(name, value, size, end - value, section_names[shndx]))
        return dict(by_name)
