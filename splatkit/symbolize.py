"""Symbolisation: the source location (``file:line``) of every frame of parsed splats.

A frame as the kernel prints it (``%pS``/``%pB``: ``set_nx_huge_pages+0x179/0x1e0 [kvm]``)
names a function and an offset into it; the kernel image (vmlinux) or the module's ``.ko``,
built with debug info, says which source line that is and through which inlined functions.
:func:`symbolize` asks binutils' ``addr2line --inlines`` (or, given a kernel tree, the
kernel's own ``scripts/faddr2line``) and returns new splats whose frames carry ``source``,
the inlined callers added before each frame as frames marked ``inline``, the way syzbot and
``scripts/decode_stacktrace.sh`` print a decoded report::

    __mutex_lock_common kernel/locking/mutex.c:608 [inline]
    __mutex_lock+0x14d/0x1350 kernel/locking/mutex.c:752

**Call sites, not return addresses.** The frames of a stack trace are return addresses:
``%pB`` (dump_stack's backtrace) and ``%pS`` (the traces lockdep saved, the ``at:`` of a
lock, which is the ``_RET_IP_`` of the locking call) print the address *after* the call.
That address can belong to the next source line, to another inlined function, or, after a
call that does not return, to the next function. So each frame is looked up at
``func + offset - 1``, an address inside the call instruction, as syzkaller's symbolizer
does for every frame but the faulting ``RIP``. Exact addresses are looked up as printed: a
WARN's ``at func+0x...`` (``Splat.warn_at``, the trapping instruction) and any frame at
offset 0, which no return address is. The kernel's ``scripts/faddr2line`` and
``decode_stacktrace.sh`` look up the printed offset unchanged (their input may be an exact
address); given a kernel tree, ``faddr2line`` is asked for ``offset - 1`` likewise, so both
ways give the same answer.

The function's address comes from the object's symbol table (:mod:`splatkit.elf`); when
several functions share the name, the printed ``/0xsize`` picks one, as in faddr2line, and a
size that matches none means the object is not the build that printed the report: the
frame is left as printed and a :class:`~splatkit.errors.SymbolizeWarning` says so.

References: ``scripts/faddr2line`` and ``scripts/decode_stacktrace.sh`` in the kernel tree;
``lib/vsprintf.c`` (``%pS``, ``%pB``); syzkaller ``pkg/report/linux.go`` (``symbolizeLine``).
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
import shutil
import sys
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from .addr2line import run_addr2line, run_faddr2line
from .elf import ElfObject, FunctionSymbol
from .errors import SymbolizeError, SymbolizeWarning
from .model import DependencyClass, Frame, Line, Splat

__all__ = ["Location", "Symbolizer", "add_locations", "symbolize"]

#: Fields holding no code address (a lock_class_key is data) or no frame at all.
_SKIP = frozenset({(DependencyClass, "key"), (Splat, "lines"), (Splat, "line_fields")})
#: Fields whose frame is an exact address (a WARN's trapping instruction), not a return address.
_EXACT = frozenset({(Splat, "warn_at")})
#: Compressed module files addr2line cannot read.
_COMPRESSED = (".ko.xz", ".ko.zst", ".ko.gz")
_DISCRIMINATOR = re.compile(r" \(discriminator \d+\)$")


class Location(NamedTuple):
    """One line of ``addr2line --inlines``: a function and where in it, as ``file:line``."""

    function: str
    source: str


class _Request(NamedTuple):
    """A frame's question, the cache key: which object, which function, where in it."""

    module: str | None
    function: str
    offset: int
    size: int | None
    exact: bool

    def __str__(self) -> str:
        size = f"/{self.size:#x}" if self.size is not None else ""
        return f"{self.function}+{self.offset:#x}{size}" + (f" [{self.module}]" if self.module else "")

    @property
    def call_offset(self) -> int:
        """The offset to look up: inside the call instruction, for a return address."""
        return self.offset if self.exact or self.offset == 0 else self.offset - 1


def symbolize(splats: Iterable[Splat], *, vmlinux: str | os.PathLike[str] | None = None,
              modules: str | os.PathLike[str] | None = None, kernel_tree: str | os.PathLike[str] | None = None,
              addr2line: str = "addr2line") -> list[Splat]:
    """The splats with a source location on every frame the objects given can decode.

    Parameters
    ----------
    splats : iterable of Splat
        Parsed reports (:func:`splatkit.parse`); they are not changed.
    vmlinux : path, optional
        The kernel image with debug info (``CONFIG_DEBUG_INFO``) of the build that printed the
        reports: decodes the frames without ``[module]``.
    modules : path, optional
        A directory searched (recursively) for ``MODULE.ko`` or ``MODULE.ko.debug`` (``-`` and
        ``_`` alike): decodes the frames with ``[MODULE]``.
    kernel_tree : path, optional
        The build tree: its ``scripts/faddr2line`` is used when present, paths are given
        relative to it, and it is the default for ``vmlinux`` (``TREE/vmlinux``) and ``modules``.
    addr2line : str
        The addr2line to run (``llvm-addr2line``, ``aarch64-linux-gnu-addr2line`` for another
        architecture's kernel).

    Returns
    -------
    list of Splat
        New splats, equal to the input but for ``source`` on decoded frames and the inlined
        frames added (``inline=True``) before them in stacks; frames already decoded
        (``source`` or ``[inline]`` printed) are kept as printed.

    Raises
    ------
    SymbolizeError
        When nothing to decode with is given, a file given is missing or unusable, or
        addr2line is not installed; the message says what to do.

    Warns
    -----
    SymbolizeWarning
        For frames left as printed: a module not found, a function missing from its object or
        of another size than printed (another build), no line information.

    See Also
    --------
    Symbolizer : the same, keeping what it read (symbol tables, answers) between calls.

    Examples
    --------
    >>> symbolize([])
    Traceback (most recent call last):
    ...
    splatkit.errors.SymbolizeError: nothing to decode frames with: pass vmlinux (the kernel image with debug info), modules (a directory holding the modules' .ko files) or kernel_tree
    """
    return Symbolizer(vmlinux=vmlinux, modules=modules, kernel_tree=kernel_tree, addr2line=addr2line).symbolize(splats)


class Symbolizer:
    """Decodes frames against one build, caching symbol tables and answers between calls.

    Parameters are those of :func:`symbolize`, which builds one; files and tools are
    checked when it is built (a :class:`~splatkit.errors.SymbolizeError` says what is missing).
    """

    def __init__(self, *, vmlinux: str | os.PathLike[str] | None = None,
                 modules: str | os.PathLike[str] | None = None,
                 kernel_tree: str | os.PathLike[str] | None = None, addr2line: str = "addr2line") -> None:
        if vmlinux is None and modules is None and kernel_tree is None:
            raise SymbolizeError("nothing to decode frames with: pass vmlinux (the kernel image with debug info), "
                                 "modules (a directory holding the modules' .ko files) or kernel_tree")
        self.kernel_tree = self.faddr2line = None
        if kernel_tree is not None:
            self.kernel_tree = os.path.abspath(kernel_tree)
            if not os.path.isdir(self.kernel_tree):
                raise SymbolizeError(f"kernel tree not found: {kernel_tree}: pass the kernel's build tree")
            default = os.path.join(self.kernel_tree, "vmlinux")
            vmlinux = default if vmlinux is None and os.path.isfile(default) else vmlinux
            modules = self.kernel_tree if modules is None else modules
            script = os.path.join(self.kernel_tree, "scripts", "faddr2line")
            self.faddr2line = script if os.path.isfile(script) else None
        self.vmlinux = None if vmlinux is None else os.fspath(vmlinux)
        self.modules = None if modules is None else os.fspath(modules)
        self._objects: dict[str | None, ElfObject | None] = {}
        if self.vmlinux is not None:
            if not os.path.isfile(self.vmlinux):
                raise SymbolizeError(f"vmlinux not found: {self.vmlinux}: pass the vmlinux of the build that printed "
                                     "the report (its build tree's, or the distribution's debug package's "
                                     "/usr/lib/debug/boot/vmlinux-RELEASE)")
            image = ElfObject(self.vmlinux)
            if not image.has_line_info:
                raise SymbolizeError(f"{self.vmlinux} has no line tables (.debug_line): build with "
                                     "CONFIG_DEBUG_INFO=y, or pass the distribution's debug vmlinux")
            self._objects[None] = image
        if self.modules is not None and not os.path.isdir(self.modules):
            raise SymbolizeError(f"modules directory not found: {self.modules}: pass the directory holding the "
                                 "modules' .ko files (the build tree, or /lib/modules/RELEASE)")
        self.addr2line = shutil.which(addr2line)
        if self.addr2line is None:
            raise SymbolizeError(f"{addr2line} not found: install binutils, or pass frames already decoded")
        self._answers: dict[_Request, tuple[Location, ...]] = {}
        self._module_files: dict[str, list[str]] | None = None
        self._prefixes: list[str] | None = None
        self._warned: set[Any] = set()

    def symbolize(self, splats: Iterable[Splat]) -> list[Splat]:
        """The splats with their frames decoded (see :func:`symbolize`)."""
        if isinstance(splats, Splat):
            raise TypeError("symbolize takes a list of splats: symbolize([splat])")
        splats = list(splats)
        asked: list[_Request | None] = []

        def ask(frame: Frame, exact: bool) -> tuple[Location, ...]:
            asked.append(_request(frame, exact))
            return ()

        add_locations(splats, ask)  # (first every question, to ask each tool once per object)
        self._answer(asked)
        return add_locations(splats, lambda frame, exact: self._answers.get(_request(frame, exact), ()))

    def locate(self, frame: Frame, *, exact: bool = False) -> tuple[Location, ...]:
        """Where ``frame`` is in the source: innermost inlined function first, the frame's own
        function last; empty when it cannot be told (a warning says why) or nothing is to be
        decoded (no function and offset, or a location already printed).

        ``exact`` says the address is the instruction itself (a WARN's), not a return address.
        """
        request = _request(frame, exact)
        if request is None:
            return ()
        self._answer([request])
        return self._answers[request]

    def _answer(self, requests: Iterable[_Request | None]) -> None:
        """Ask the tools about every request not answered yet, one run per object (and section)."""
        by_module: dict[str | None, list[_Request]] = defaultdict(list)
        for request in dict.fromkeys(requests):
            if request is not None and request not in self._answers:
                by_module[request.module].append(request)
        for module, group in by_module.items():
            image = self._object(module)
            answers = {} if image is None else (self._by_faddr2line if self.faddr2line else self._by_addr2line)(
                image, group)
            self._answers.update((request, answers.get(request, ())) for request in group)

    def _by_addr2line(self, image: ElfObject, requests: list[_Request]) -> dict[_Request, tuple[Location, ...]]:
        """binutils: the symbol's address from the symbol table, then ``addr2line --inlines``."""
        asked: dict[tuple[str | None, int], list[_Request]] = defaultdict(list)
        for request in requests:
            symbol = self._symbol(image, request)
            if symbol is not None:
                section = symbol.section if image.relocatable else None
                asked[section, symbol.value + request.call_offset].append(request)
        by_section: dict[str | None, list[int]] = defaultdict(list)
        for section, address in asked:
            by_section[section].append(address)
        answers = {}
        for section, addresses in by_section.items():
            found = run_addr2line(self.addr2line, image.path, addresses, section)
            for address in addresses:
                for request in asked[section, address]:
                    answers[request] = self._locations(found.get(address, []))
                    if not answers[request]:
                        self._warn(("no line", image.path, request.function),
                                   f"{request}: {image.path} has no line information for it: left as printed")
        return answers

    def _symbol(self, image: ElfObject, request: _Request) -> FunctionSymbol | None:
        """The one function the frame means, checked against the printed size (else None, warned)."""
        symbols = image.functions(request.function)
        key = (image.path, request.function, request.size)
        if not symbols:
            self._warn(key, f"{request}: no function {request.function} in {image.path}: left as printed")
            return None
        if request.size is not None:
            fitting = [s for s in symbols if s.fits(request.size)]
            if not fitting:
                sizes = " or ".join(sorted({f"{n:#x}" for s in symbols for n in (s.size, s.span)}))
                self._warn(key, f"{request}: {request.function} is {sizes} long in {image.path}, not "
                                f"{request.size:#x}: left as printed (is it the build that printed the report?)")
                return None
            symbols = fitting
        if len(symbols) > 1:
            self._warn(key, f"{request}: {len(symbols)} functions {request.function} in {image.path} and no size "
                            "printed to tell them apart: left as printed")
            return None
        if request.offset > max(symbols[0].size, symbols[0].span):
            self._warn(key, f"{request}: offset past the end of {request.function} in {image.path}: left as printed")
            return None
        return symbols[0]

    def _by_faddr2line(self, image: ElfObject, requests: list[_Request]) -> dict[_Request, tuple[Location, ...]]:
        """The kernel's ``scripts/faddr2line OBJECT func+0xoff/0xsize...``, asked for call sites."""
        asked: dict[tuple[str, int], list[_Request]] = defaultdict(list)
        for request in requests:
            asked[request.function, request.call_offset].append(request)
        items = dict.fromkeys(f"{r.function}+{r.call_offset:#x}" + (f"/{r.size:#x}" if r.size is not None else "")
                              for r in requests)
        found, said = run_faddr2line(str(self.faddr2line), image.path, list(items))
        answers = {}
        for key, group in asked.items():
            blocks = found.get(key, [])
            if len(blocks) == 1:
                answers.update((request, self._locations(blocks[0])) for request in group)
                if not answers[group[0]]:
                    self._warn(("no line", image.path, key[0]), f"{group[0]}: scripts/faddr2line found no line "
                                                                f"information for it in {image.path}: left as printed")
            else:
                why = "several functions match" if blocks else "; ".join(said) or "no answer"
                self._warn(("faddr2line", image.path, *key),
                           f"{group[0]}: scripts/faddr2line on {image.path}: {why}: left as printed")
        return answers

    def _locations(self, pairs: list[tuple[str, str]]) -> tuple[Location, ...]:
        """(function, ``file:line``) pairs as Locations with clean paths; empty if any is unknown."""
        locations = []
        for function, where in pairs:
            file, _, line = _DISCRIMINATOR.sub("", where.strip()).rpartition(":")
            if function == "??" or not file or file == "??":
                return ()
            locations.append(Location(function, f"{self._relative(file)}:{line}"))
        return tuple(locations)

    def _relative(self, file: str) -> str:
        """``file`` relative to the kernel tree (given, or found from ``init/main.c``), like faddr2line."""
        file = posixpath.normpath(file)
        for prefix in self._source_prefixes():
            if file.startswith(prefix):
                return file[len(prefix):]
        return file[2:] if file.startswith("./") else file

    def _source_prefixes(self) -> list[str]:
        """Directories stripped from paths: the kernel tree, and the one that holds the vmlinux's
        ``init/main.c`` (where ``start_kernel`` is), as faddr2line and decode_stacktrace.sh find it."""
        if self._prefixes is None:
            self._prefixes = [self.kernel_tree.rstrip("/") + "/"] if self.kernel_tree else []
            image = self._objects.get(None)
            starts = image.functions("start_kernel") if image is not None else []
            if len(starts) == 1:
                pairs = run_addr2line(self.addr2line, image.path, [starts[0].value]).get(starts[0].value, [])
                file = posixpath.normpath(pairs[-1][1].rpartition(":")[0]) if pairs else ""
                if file.endswith("/init/main.c"):
                    self._prefixes.append(file[:-len("init/main.c")])
        return self._prefixes

    def _object(self, module: str | None) -> ElfObject | None:
        """The object a frame's code is in: the vmlinux, or the module's ``.ko`` (None, warned, if none)."""
        if module in self._objects:
            return self._objects[module]
        image = None
        if module is None:
            self._warn("no vmlinux", "no vmlinux given: frames of the kernel image left as printed")
        elif self.modules is None:
            self._warn(("no modules", module), f"no modules directory given: frames of [{module}] left as printed")
        else:
            image = self._module(module)
        self._objects[module] = image
        return image

    def _module(self, module: str) -> ElfObject | None:
        """The first ``.ko`` of ``module`` under ``modules`` that has line tables, as decode_stacktrace.sh picks."""
        if self._module_files is None:
            self._module_files = defaultdict(list)
            for top, dirs, files in os.walk(self.modules):
                dirs.sort()
                for name in sorted(files):
                    stem = next((name[:-len(end)] for end in (".ko", ".ko.debug", *_COMPRESSED) if name.endswith(end)),
                                None)
                    if stem is not None:
                        self._module_files[stem.replace("-", "_")].append(os.path.join(top, name))
        files = self._module_files.get(module.replace("-", "_"), [])
        for path in (p for p in files if not p.endswith(_COMPRESSED)):
            try:
                image = ElfObject(path)
            except SymbolizeError:
                continue
            if image.has_line_info:
                return image
        if any(p.endswith(_COMPRESSED) for p in files) and not any(not p.endswith(_COMPRESSED) for p in files):
            why = f"only compressed files ({', '.join(files)}): decompress them"
        elif files:
            why = f"no line tables in {', '.join(files)}: pass the modules of a CONFIG_DEBUG_INFO build"
        else:
            why = f"no {module}.ko under {self.modules}"
        self._warn(("module", module), f"{why}: frames of [{module}] left as printed")
        return None

    def _warn(self, key: Any, message: str) -> None:
        """One SymbolizeWarning per key (a function warned about once, however many frames name it)."""
        if key not in self._warned:
            self._warned.add(key)
            level, frame = 1, sys._getframe(0)
            while frame is not None and frame.f_code.co_filename == __file__:  # (point at the caller's line)
                level, frame = level + 1, frame.f_back
            warnings.warn(message, SymbolizeWarning, stacklevel=level)


def add_locations(splats: Iterable[Splat], locate: Callable[[Frame, bool], Sequence[Location]]) -> list[Splat]:
    """The splats with the source locations ``locate`` gives their frames.

    The walk :func:`symbolize` makes with the answers of addr2line; any other source of
    locations (a symbolizer service, a table of known answers) can be used the same way.

    Parameters
    ----------
    splats : iterable of Splat
        Parsed reports; they are not changed.
    locate : callable
        ``locate(frame, exact)`` for every frame that names a function and an offset and is
        not decoded yet (no ``source``, not ``[inline]``), wherever a splat keeps it: chain
        entries, backtraces, state traces, dependency paths, the ``at:`` of every lock, irq
        events, ``warn_at``, ``unheld_at``; not a dependency class's ``key`` (data, not code).
        ``exact`` is True for an exact address (``warn_at``) and False for a return address.
        It returns the :class:`Location` sequence innermost first, the frame's own function
        last (what ``addr2line --inlines`` prints), or nothing to leave the frame as printed.

    Returns
    -------
    list of Splat
        Each frame located gets the last location's ``source``; in a stack, the other
        locations go before it as frames marked ``inline`` (one-frame fields, such as a lock's
        ``at``, keep only the frame). Objects with nothing located are returned as they are.

    Examples
    --------
    >>> splat = parse(seed_text)[0]
    >>> where = {"mutex_lock_nested": [Location("mutex_lock_nested", "kernel/locking/mutex.c:752")]}
    >>> new, = add_locations([splat], lambda frame, exact: where.get(frame.function, ()))
    >>> [f.text for f in new.chain[0].frames if f.source][:1]
    ['mutex_lock_nested+0x1f/0x30']
    >>> {f.source for f in new.backtrace if f.function == "mutex_lock_nested"}
    {'kernel/locking/mutex.c:752'}
    """
    def expand(frame: Frame, exact: bool) -> tuple[Frame, ...]:
        if frame.source or frame.inline or frame.function is None or frame.offset is None:
            return (frame,)
        locations = tuple(locate(frame, exact))
        if not locations:
            return (frame,)
        *inlined, own = locations
        mark = "? " if frame.unreliable else ""
        return (*(Frame(function=loc.function, module=frame.module, unreliable=frame.unreliable, source=loc.source,
                        inline=True, text=f"{mark}{loc.function} {loc.source} [inline]", line_no=frame.line_no)
                  for loc in inlined),
                dataclasses.replace(frame, source=own.source))

    return [_rebuild(splat, expand) for splat in splats]


def _request(frame: Frame, exact: bool) -> _Request | None:
    """What to ask about ``frame``; None when it is decoded already or names no function and offset."""
    if frame.source or frame.inline or frame.function is None or frame.offset is None:
        return None
    return _Request(frame.module, frame.function, frame.offset, frame.size, exact)


def _rebuild(obj: Any, expand: Callable[[Frame, bool], tuple[Frame, ...]], exact: bool = False) -> Any:
    """``obj`` with every frame it holds replaced by ``expand(frame, exact)``: in a stack (a tuple of
    frames) all the frames it returns, in a single-frame field the last one. Objects in which
    nothing changed are returned as they are (the same object)."""
    if isinstance(obj, Frame):
        return expand(obj, exact)[-1]
    if isinstance(obj, tuple):
        items = []
        for item in obj:
            if isinstance(item, Frame):
                items.extend(expand(item, exact))
            else:
                items.append(_rebuild(item, expand, exact))
        unchanged = len(items) == len(obj) and all(new is old for new, old in zip(items, obj))
        return obj if unchanged else tuple(items)
    if not dataclasses.is_dataclass(obj) or isinstance(obj, (type, Line)):
        return obj
    changes = {}
    for field in dataclasses.fields(obj):
        where = (type(obj), field.name)
        if where not in _SKIP:
            value = getattr(obj, field.name)
            new = _rebuild(value, expand, where in _EXACT)
            if new is not value:
                changes[field.name] = new
    return dataclasses.replace(obj, **changes) if changes else obj
