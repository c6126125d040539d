"""splatkit.symbolize: frames get their source location from a real ELF built here with gcc.

A small C "kernel tree" stands in for the kernel: ``kvm_dev_ioctl``, ``mutex_lock_nested``,
``__mutex_lock`` with an inlined ``__mutex_lock_common`` linked into a ``vmlinux``, and
``set_nx_huge_pages`` with an inlined ``kvm_mmu_zap_all_fast`` compiled into a relocatable
``kvm.ko`` (one section per function, as modules may be). The report names those functions
at the return addresses a backtrace would print, found from the real code (``objdump``) and
symbols (``nm``). The expected ``file:line`` comes twice over from outside splatkit: from
``addr2line`` run here on the call site, and from a marker comment on the source line of
each call. The tests skip when gcc or binutils are missing, unless
``SPLATKIT_REQUIRE_TOOLCHAIN=1`` (``.ci/run`` installs them and sets it).
"""

from __future__ import annotations

import json
import os
import platform
import posixpath
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

import splatkit
import splatkit.samples
from splatkit.errors import SymbolizeError, SymbolizeWarning
from splatkit.grammar.frames import parse_frame
from splatkit.model import Frame
from splatkit.symbolize import Location, Symbolizer, add_locations, symbolize

CASES = sorted((Path(__file__).parent / "cases").glob("*.splat"))
TOOLS = ("gcc", "addr2line", "nm", "objdump", "strip")
#: Call instructions by architecture, for finding return addresses in objdump's output.
CALLS = {"x86_64": ("call", "callq"), "aarch64": ("bl",), "arm64": ("bl",)}

#: The stand-in kernel tree. ``/* @NAME */`` marks the line of a call: where a frame must point.
SOURCES = {
    "include/linux/mutex.h": """\
struct mutex { volatile int owner; volatile int depth; };
void mutex_lock_nested(struct mutex *lock, unsigned int subclass);
void mutex_unlock(struct mutex *lock);
""",
    "kernel/locking/mutex.c": """\
#include <linux/mutex.h>

volatile int lock_count;

__attribute__((noinline)) void lock_acquire(struct mutex *lock, unsigned int subclass)
{
	lock_count += subclass + 1;
	lock->depth++;
}

static inline __attribute__((always_inline)) void __mutex_lock_common(struct mutex *lock, unsigned int subclass)
{
	lock_acquire(lock, subclass); /* @__mutex_lock_common */
	lock->owner = 1;
}

__attribute__((noinline)) void __mutex_lock(struct mutex *lock, unsigned int subclass)
{
	__mutex_lock_common(lock, subclass); /* @__mutex_lock */
	lock_count++;
}

void mutex_lock_nested(struct mutex *lock, unsigned int subclass)
{
	__mutex_lock(lock, subclass); /* @mutex_lock_nested */
	lock_count++;
}

/* Two static functions of one name (the other is in kvm_main.c): told apart by their size. */
static __attribute__((noipa)) int debug_check(int depth)
{
	return depth + lock_count;
}

void mutex_unlock(struct mutex *lock)
{
	lock->owner = 0;
	lock->depth = debug_check(lock->depth) - 1;
}
""",
    "virt/kvm/kvm_main.c": """\
#include <linux/mutex.h>

struct mutex kvm_lock;
volatile int kvm_created;

static inline __attribute__((always_inline)) void kvm_create_vm(void)
{
	mutex_lock_nested(&kvm_lock, 0); /* @kvm_create_vm */
	kvm_created++;
	mutex_unlock(&kvm_lock);
}

static __attribute__((noipa)) int debug_check(int created)
{
	return created * kvm_created - 7 + (created >> 3) * (kvm_created << 2);
}

long kvm_dev_ioctl(unsigned int ioctl)
{
	if (ioctl == 1)
		kvm_create_vm(); /* @kvm_dev_ioctl */
	return debug_check(kvm_created);
}
""",
    "init/main.c": """\
long kvm_dev_ioctl(unsigned int ioctl);

volatile int system_state;

void start_kernel(void)
{
	kvm_dev_ioctl(1); /* @start_kernel */
	system_state = 1;
}

int main(void)
{
	start_kernel();
	return 0;
}
""",
    "arch/x86/kvm/mmu.h": """\
#include <linux/mutex.h>

struct kvm { struct mutex slots_lock; volatile int nx_huge_pages; };

static inline __attribute__((always_inline)) void kvm_mmu_zap_all_fast(struct kvm *kvm)
{
	mutex_lock_nested(&kvm->slots_lock, 0); /* @kvm_mmu_zap_all_fast */
	kvm->nx_huge_pages++;
	mutex_unlock(&kvm->slots_lock);
}
""",
    # (Included as "../mmu.h": addr2line says arch/x86/kvm/mmu/../mmu.h, splatkit arch/x86/kvm/mmu.h.)
    "arch/x86/kvm/mmu/mmu.c": """\
#include "../mmu.h"

struct mutex kvm_lock;
struct kvm the_vm;

int set_nx_huge_pages(const char *val)
{
	mutex_lock_nested(&kvm_lock, 0); /* @set_nx_huge_pages:kvm_lock */
	kvm_mmu_zap_all_fast(&the_vm); /* @set_nx_huge_pages:slots_lock */
	mutex_unlock(&kvm_lock);
	return val[0];
}
""",
    "arch/x86/kvm/vmx/vmx.c": """\
#include <linux/mutex.h>

struct mutex vmx_lock;
volatile int vmx_msr;

int vmx_set_msr(int index)
{
	mutex_lock_nested(&vmx_lock, 0); /* @vmx_set_msr */
	vmx_msr = index;
	mutex_unlock(&vmx_lock);
	return vmx_msr;
}
""",
}
GCC = ["gcc", "-g", "-O2", "-Iinclude"]
#: (output, flags, sources): a vmlinux, kvm.ko with a section per function, kvm-intel.ko without.
BUILD = [
    ("vmlinux", [], ["init/main.c", "kernel/locking/mutex.c", "virt/kvm/kvm_main.c"]),
    ("arch/x86/kvm/kvm.ko", ["-c", "-ffunction-sections"], ["arch/x86/kvm/mmu/mmu.c"]),
    ("arch/x86/kvm/kvm-intel.ko", ["-c"], ["arch/x86/kvm/vmx/vmx.c"]),
]
OBJECTS = {None: "vmlinux", "kvm": "arch/x86/kvm/kvm.ko", "kvm_intel": "arch/x86/kvm/kvm-intel.ko"}


# -- the build and what binutils says about it, independently of splatkit -----------------------

@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The stand-in kernel tree, built: sources, ``vmlinux`` and the two modules."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing or platform.machine() not in CALLS:
        why = f"{', '.join(missing)} not found" if missing else f"no call instruction known for {platform.machine()}"
        if os.environ.get("SPLATKIT_REQUIRE_TOOLCHAIN"):
            pytest.fail(f"SPLATKIT_REQUIRE_TOOLCHAIN is set but {why}; apt-get install gcc binutils")
        pytest.skip(f"{why} (apt-get install gcc binutils)")
    root = tmp_path_factory.mktemp("linux")
    for name, text in SOURCES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for output, flags, sources in BUILD:
        subprocess.run([*GCC, *flags, "-o", output, *sources], cwd=root, check=True)
    return root


def _symbols(obj: Path) -> dict[str, tuple[int, int, int]]:
    """``nm``: function name -> (address, ELF size, distance to the next text symbol: kallsyms' size)."""
    out = subprocess.run(["nm", "-n", "-S", "--defined-only", obj], capture_output=True, text=True,
                         check=True).stdout
    rows = [line.split() for line in out.splitlines()]
    text = [(int(r[0], 16), int(r[1], 16) if len(r) == 4 else 0, r[-2], r[-1]) for r in rows if r[-2] in "tT"]
    found = {}
    for i, (address, size, _, name) in enumerate(text):
        following = [a for a, *_ in text[i + 1:] if a > address]
        found[name] = (address, size, (following[0] if following else address + size) - address)
    return found


def _return_offsets(obj: Path, function: str, callee: str) -> list[int]:
    """Offsets into ``function`` of the instructions after each call to ``callee``: the return
    addresses a stack trace prints (``objdump -dr``; relocations name the callee in a ``.ko``)."""
    out = subprocess.run(["objdump", "-dr", "--no-show-raw-insn", obj], capture_output=True, text=True,
                         check=True).stdout
    body = re.search(rf"^([0-9a-f]+) <{re.escape(function)}>:\n(.*?)(?:\n\n|\Z)", out, re.M | re.S)
    assert body, f"{function} not in objdump -d {obj}"
    start, offsets = int(body[1], 16), []
    called = None  # the callee of the instruction just read, "?" for a call whose target is relocated
    for line in body[2].splitlines():
        insn = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if insn is None:
            continue
        if insn[2].startswith("R_"):  # (in a .ko a call's target is a relocation, on the next line)
            if called == "?" and re.match(rf"{re.escape(callee)}\b", insn[3]):
                called = callee
            continue
        if called == callee:
            offsets.append(int(insn[1], 16) - start)
        is_call = insn[2] in CALLS[platform.machine()]
        called = (callee if f"<{callee}>" in insn[3] else "?") if is_call else None
    assert offsets, f"no call to {callee} in {function}:\n{body[0]}"
    return offsets


def _addr2line(tree: Path, obj: str, address: int, section: str | None = None) -> list[tuple[str, str]]:
    """What ``addr2line -f -i`` says about ``address``: (function, file:line relative to ``tree``)."""
    command = ["addr2line", "-f", "-i", "-e", tree / obj, hex(address)] + (["-j", section] if section else [])
    lines = subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()
    pairs = list(zip(lines[::2], lines[1::2]))
    return [(function, os.path.relpath(posixpath.normpath(where.split(" (discriminator")[0]), tree))
            for function, where in pairs]


def _marker(name: str) -> str:
    """``file:line`` of the source line marked ``/* @name */``."""
    for path, text in SOURCES.items():
        for no, line in enumerate(text.splitlines(), 1):
            if f"/* @{name} */" in line:
                return f"{path}:{no}"
    raise AssertionError(name)


class Site:
    """One frame of the generated report: a return address into a function of one object."""

    def __init__(self, tree: Path, function: str, callee: str, module: str | None = None, nth: int = 0,
                 *, elf_size: bool = False) -> None:
        self.function, self.module, self.obj = function, module, OBJECTS[module]
        address, size, span = _symbols(tree / self.obj)[function]
        self.offset = _return_offsets(tree / self.obj, function, callee)[nth]
        self.size = size if elf_size else span
        self.address = address + self.offset
        # A .ko is relocatable: addresses are section offsets (kvm.ko has a section per function).
        self.section = None if module is None else f".text.{function}" if module == "kvm" else ".text"

    def __str__(self) -> str:
        return f"{self.function}+{self.offset:#x}/{self.size:#x}" + (f" [{self.module}]" if self.module else "")

    def expected(self, tree: Path, *, back: int = 1) -> list[tuple[str, str]]:
        """addr2line's answer for the call site (``back=1``) or the return address itself (0)."""
        return _addr2line(tree, self.obj, self.address - back, self.section)


@pytest.fixture(scope="module")
def sites(tree) -> dict[str, Site]:
    return {
        "__mutex_lock": Site(tree, "__mutex_lock", "lock_acquire"),
        "mutex_lock_nested": Site(tree, "mutex_lock_nested", "__mutex_lock", elf_size=True),
        "kvm_dev_ioctl": Site(tree, "kvm_dev_ioctl", "mutex_lock_nested"),
        "start_kernel": Site(tree, "start_kernel", "kvm_dev_ioctl"),
        "set_nx:kvm_lock": Site(tree, "set_nx_huge_pages", "mutex_lock_nested", "kvm", 0, elf_size=True),
        "set_nx:slots_lock": Site(tree, "set_nx_huge_pages", "mutex_lock_nested", "kvm", 1),
        "vmx_set_msr": Site(tree, "vmx_set_msr", "mutex_lock_nested", "kvm_intel"),
    }


def _report(s: dict[str, Site]) -> str:
    """A circular report naming the stand-in functions at their real return addresses."""
    return f"""\
======================================================
WARNING: possible circular locking dependency detected
6.9.0-demo #1 Tainted: G           O
------------------------------------------------------
tee/27085 is trying to acquire lock:
ffffb5fdd4e430a8 (&kvm->slots_lock){{+.+.}}-{{3:3}}, at: {s["set_nx:slots_lock"]}

but task is already holding lock:
ffffffffc06ccba8 (kvm_lock){{+.+.}}-{{3:3}}, at: {s["set_nx:kvm_lock"]}

which lock already depends on the new lock.


the existing dependency chain (in reverse order) is:

-> #1 (kvm_lock){{+.+.}}-{{3:3}}:
       {s["__mutex_lock"]}
       {s["mutex_lock_nested"]}
       {s["kvm_dev_ioctl"]}
       {s["start_kernel"]}

-> #0 (&kvm->slots_lock){{+.+.}}-{{3:3}}:
       {s["__mutex_lock"]}
       {s["mutex_lock_nested"]}
       {s["set_nx:slots_lock"]}

other info that might help us debug this:

 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(kvm_lock);
                               lock(&kvm->slots_lock);
                               lock(kvm_lock);
  lock(&kvm->slots_lock);

 *** DEADLOCK ***

2 locks held by tee/27085:
 #0: ffffffffc06e3c50 (&vmx->lock){{+.+.}}-{{3:3}}, at: {s["vmx_set_msr"]}
 #1: ffffffffc06ccba8 (kvm_lock){{+.+.}}-{{3:3}}, at: {s["set_nx:kvm_lock"]}

stack backtrace:
CPU: 93 PID: 27085 Comm: tee Tainted: G           O       6.9.0-demo #1
Call Trace:
 <TASK>
 {s["__mutex_lock"]}
 ? {s["kvm_dev_ioctl"]}
 {s["mutex_lock_nested"]}
 {s["set_nx:slots_lock"]}
 </TASK>
"""


@pytest.fixture(scope="module")
def report(sites) -> splatkit.Splat:
    (splat,) = splatkit.parse(_report(sites))
    assert splat.kind == "circular" and not splat.unrecognised and not splat.notes
    return splat


def _decoded(frames) -> list[tuple[str, str, bool]]:
    return [(f.function, f.source, f.inline) for f in frames]


def _as_decoded(answer: list[tuple[str, str]], function: str) -> list[tuple[str, str, bool]]:
    """A frame decoded from addr2line's answer: its inlined callers first, then itself."""
    *inlined, (_, own) = answer
    return [(name, where, True) for name, where in inlined] + [(function, own, False)]


# -- frames decoded ------------------------------------------------------------------------------

def test_stack_frames_get_addr2lines_call_site_and_inlined_callers(tree, sites, report):
    (out,) = symbolize([report], vmlinux=tree / "vmlinux", modules=tree)
    one, zero = out.chain
    s = sites
    assert _decoded(one.frames) == [
        *_as_decoded(s["__mutex_lock"].expected(tree), "__mutex_lock"),
        *_as_decoded(s["mutex_lock_nested"].expected(tree), "mutex_lock_nested"),
        *_as_decoded(s["kvm_dev_ioctl"].expected(tree), "kvm_dev_ioctl"),
        *_as_decoded(s["start_kernel"].expected(tree), "start_kernel"),
    ]
    # The same, read from the source's markers: each frame points at its call.
    assert _decoded(one.frames) == [
        ("__mutex_lock_common", _marker("__mutex_lock_common"), True),
        ("__mutex_lock", _marker("__mutex_lock"), False),
        ("mutex_lock_nested", _marker("mutex_lock_nested"), False),
        ("kvm_create_vm", _marker("kvm_create_vm"), True),
        ("kvm_dev_ioctl", _marker("kvm_dev_ioctl"), False),
        ("start_kernel", _marker("start_kernel"), False),
    ]
    # A module's frame, through an inline function of a header included as "../mmu.h".
    assert _decoded(zero.frames)[-2:] == [
        ("kvm_mmu_zap_all_fast", "arch/x86/kvm/mmu.h:7", True),
        ("set_nx_huge_pages", _marker("set_nx_huge_pages:slots_lock"), False),
    ] == _as_decoded(s["set_nx:slots_lock"].expected(tree), "set_nx_huge_pages")
    assert _marker("kvm_mmu_zap_all_fast") == "arch/x86/kvm/mmu.h:7"


def test_a_return_address_is_looked_up_inside_its_call(tree, sites, report):
    """The call to mutex_lock_nested(&kvm_lock) is followed by the inlined helper's code:
    its return address belongs to kvm_mmu_zap_all_fast, the call itself does not."""
    site = sites["set_nx:kvm_lock"]
    assert [name for name, _ in site.expected(tree, back=0)] == ["kvm_mmu_zap_all_fast", "set_nx_huge_pages"]
    (out,) = symbolize([report], vmlinux=tree / "vmlinux", modules=tree)
    at = out.holding.at
    assert (at.function, at.source, at.inline) == ("set_nx_huge_pages", _marker("set_nx_huge_pages:kvm_lock"), False)
    assert [name for name, _ in site.expected(tree)] == ["set_nx_huge_pages"]


def test_lock_at_frames_and_the_backtrace_are_decoded(tree, sites, report):
    (out,) = symbolize([report], vmlinux=tree / "vmlinux", modules=tree)
    # One-frame fields keep the frame alone: its own function's line.
    assert out.acquiring.at.source == _marker("set_nx_huge_pages:slots_lock")
    assert [h.lock.at.source for h in out.held_locks] == [_marker("vmx_set_msr"), _marker("set_nx_huge_pages:kvm_lock")]
    assert out.held_locks[0].lock.at.module == "kvm_intel"  # found as kvm-intel.ko
    assert _decoded(out.backtrace) == [
        ("__mutex_lock_common", _marker("__mutex_lock_common"), True),
        ("__mutex_lock", _marker("__mutex_lock"), False),
        ("kvm_create_vm", _marker("kvm_create_vm"), True),
        ("kvm_dev_ioctl", _marker("kvm_dev_ioctl"), False),
        ("mutex_lock_nested", _marker("mutex_lock_nested"), False),
        ("kvm_mmu_zap_all_fast", _marker("kvm_mmu_zap_all_fast"), True),
        ("set_nx_huge_pages", _marker("set_nx_huge_pages:slots_lock"), False),
    ]
    # An unreliable frame's inlined callers are unreliable too, and marked so in their text.
    inline = out.backtrace[2]
    assert (inline.unreliable, inline.text) == (True, f"? kvm_create_vm {_marker('kvm_create_vm')} [inline]")


def test_inline_frames_read_as_a_decoded_report_would(tree, report):
    """Each added frame is what the frame grammar reads from the line it would be printed as."""
    (out,) = symbolize([report], vmlinux=tree / "vmlinux", modules=tree)
    added = [f for e in out.chain for f in e.frames if f.inline]
    assert len(added) == 4
    for frame in added:
        parsed = parse_frame(frame.text)
        assert (parsed.function, parsed.source, parsed.inline, parsed.unreliable) == \
            (frame.function, frame.source, True, frame.unreliable)
        assert frame.offset is None and frame.line_no is not None
    assert {f.module for f in added} == {None, "kvm"}  # a module's inlined code is in that module


def test_data_out_equals_data_in_but_for_sources_and_inline_frames(tree, report):
    (out,) = symbolize([report], vmlinux=tree / "vmlinux", modules=tree)
    assert _without_locations(out.to_dict()) == _without_locations(report.to_dict())
    assert out.to_dict() != report.to_dict()
    assert out.lines == report.lines and out.title == report.title and out.cycle == report.cycle


def test_the_input_is_not_changed(tree, report):
    before = json.dumps(report.to_dict())
    symbolize([report], vmlinux=tree / "vmlinux", modules=tree)
    assert json.dumps(report.to_dict()) == before


def test_already_decoded_frames_are_kept_as_printed(tree, sites):
    """Decoded lines name locations no build has: any lookup would change them."""
    text = _report(sites).replace(
        f"       {sites['kvm_dev_ioctl']}\n",
        "       kvm_create_vm virt/kvm/elsewhere.h:1 [inline]\n"
        f"       {sites['kvm_dev_ioctl']} virt/kvm/elsewhere.c:2\n")
    (splat,) = splatkit.parse(text)
    printed = [f for f in splat.chain[0].frames if f.source]
    assert [(f.function, f.source, f.inline) for f in printed] == [
        ("kvm_create_vm", "virt/kvm/elsewhere.h:1", True), ("kvm_dev_ioctl", "virt/kvm/elsewhere.c:2", False)]
    (out,) = symbolize([splat], vmlinux=tree / "vmlinux", modules=tree)
    frames = out.chain[0].frames
    assert [f for f in frames if f.source in ("virt/kvm/elsewhere.h:1", "virt/kvm/elsewhere.c:2")] == printed
    assert all(any(f is p for f in frames) for p in printed)  # the very objects
    assert len(frames) == len(splat.chain[0].frames) + 1  # __mutex_lock_common's frame is added, no other
    assert frames[-1].source == _marker("start_kernel")


def test_symbolizer_answers_again_without_running_the_tools(tree, report, monkeypatch):
    symbolizer = Symbolizer(vmlinux=tree / "vmlinux", modules=tree)
    first = symbolizer.symbolize([report])

    def no_tools(*args, **kwargs):
        raise AssertionError("a tool was run again")

    monkeypatch.setattr(subprocess, "run", no_tools)
    assert symbolizer.symbolize([report]) == first


def test_locate_one_frame_return_and_exact_address(tree, sites):
    site = sites["set_nx:kvm_lock"]
    frame = parse_frame(str(site))
    symbolizer = Symbolizer(vmlinux=tree / "vmlinux", modules=tree)
    assert [tuple(loc) for loc in symbolizer.locate(frame)] == site.expected(tree)
    # An exact address (a WARN's RIP) is looked up as printed.
    assert [tuple(loc) for loc in symbolizer.locate(frame, exact=True)] == site.expected(tree, back=0)
    assert symbolizer.locate(Frame("set_nx_huge_pages", source="x.c:1")) == ()


def test_functions_of_one_name_are_told_apart_by_the_printed_size(tree):
    out = subprocess.run(["nm", "-S", tree / "vmlinux"], capture_output=True, text=True, check=True).stdout
    checks = [(int(a, 16), int(n, 16)) for a, n, _, name in (r.split() for r in out.splitlines() if r.count(" ") == 3)
              if name == "debug_check"]
    assert len(checks) == 2 and checks[0][1] != checks[1][1]
    symbolizer = Symbolizer(vmlinux=tree / "vmlinux")
    files = set()
    for address, size in checks:
        (location,) = symbolizer.locate(Frame("debug_check", offset=1, size=size), exact=True)
        assert [tuple(location)] == _addr2line(tree, "vmlinux", address + 1)
        files.add(location.source.rpartition(":")[0])
    assert files == {"kernel/locking/mutex.c", "virt/kvm/kvm_main.c"}
    with pytest.warns(SymbolizeWarning, match=r"debug_check\+0x1: 2 functions debug_check in .*vmlinux and no size "
                                              r"printed to tell them apart: left as printed"):
        assert symbolizer.locate(Frame("debug_check", offset=1)) == ()


# -- what is left as printed, and why ------------------------------------------------------------

def test_a_size_that_does_not_match_warns_and_leaves_the_frame(tree, sites):
    wrong = f"{sites['kvm_dev_ioctl'].function}+{sites['kvm_dev_ioctl'].offset:#x}/0x999"
    (splat,) = splatkit.parse(_report(sites).replace(str(sites["kvm_dev_ioctl"]), wrong))
    with pytest.warns(SymbolizeWarning, match=r"kvm_dev_ioctl\+0x[0-9a-f]+/0x999: kvm_dev_ioctl is 0x[0-9a-f]+ "
                                              r"(or 0x[0-9a-f]+ )?long in .*vmlinux, not 0x999: left as printed"):
        (out,) = symbolize([splat], vmlinux=tree / "vmlinux", modules=tree)
    frame = next(f for f in out.chain[0].frames if f.function == "kvm_dev_ioctl")
    assert frame.source is None and "kvm_create_vm" not in [f.function for f in out.chain[0].frames]
    assert out.chain[0].frames[-1].source == _marker("start_kernel")  # the others still decoded


def test_a_function_missing_from_the_object_warns(tree, sites):
    (splat,) = splatkit.parse(_report(sites).replace("start_kernel+", "rest_init+"))
    with pytest.warns(SymbolizeWarning, match=r"rest_init\+.*: no function rest_init in .*vmlinux: left as printed"):
        (out,) = symbolize([splat], vmlinux=tree / "vmlinux", modules=tree)
    assert out.chain[0].frames[-1].source is None


def test_a_module_not_found_warns_and_the_rest_is_decoded(tree, report, tmp_path):
    with pytest.warns(SymbolizeWarning) as caught:
        (out,) = symbolize([report], vmlinux=tree / "vmlinux", modules=tmp_path)
    assert sorted(str(w.message) for w in caught) == [
        f"no kvm.ko under {tmp_path}: frames of [kvm] left as printed",
        f"no kvm_intel.ko under {tmp_path}: frames of [kvm_intel] left as printed"]
    assert out.acquiring.at.source is None and out.backtrace[1].source == _marker("__mutex_lock")


def test_without_vmlinux_module_frames_are_decoded_and_the_others_warned(tree, report):
    with pytest.warns(SymbolizeWarning, match="no vmlinux given: frames of the kernel image left as printed"):
        (out,) = symbolize([report], modules=tree)
    # (Paths stay as addr2line prints them: no vmlinux's init/main.c, no kernel tree, tells the tree.)
    assert out.acquiring.at.source == f"{tree}/{_marker('set_nx_huge_pages:slots_lock')}"
    assert out.chain[0].frames == report.chain[0].frames


# -- what is missing, said once and clearly ------------------------------------------------------

def test_missing_addr2line_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SymbolizeError) as caught:
        symbolize(splatkit.parse(splatkit.samples.sample_text()), modules=tmp_path)
    assert str(caught.value) == "addr2line not found: install binutils, or pass frames already decoded"
    with pytest.raises(SymbolizeError, match="^llvm-addr2line not found: install binutils"):
        symbolize([], modules=tmp_path, addr2line="llvm-addr2line")


@pytest.mark.parametrize(("given", "message"), [
    ({"vmlinux": "nowhere/vmlinux"}, "vmlinux not found: nowhere/vmlinux: pass the vmlinux of the build that "
                                     "printed the report"),
    ({"modules": "nowhere"}, "modules directory not found: nowhere: pass the directory holding the modules' "
                             ".ko files"),
    ({"kernel_tree": "nowhere"}, "kernel tree not found: nowhere: pass the kernel's build tree"),
    ({}, "nothing to decode frames with: pass vmlinux"),
])
def test_missing_files_are_one_clear_error(given, message):
    with pytest.raises(SymbolizeError, match=re.escape(message)):
        symbolize([], **given)


def test_an_unusable_vmlinux_is_one_clear_error(tree, tmp_path):
    (tmp_path / "vmlinuz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(60))
    with pytest.raises(SymbolizeError, match=r"vmlinuz is not an ELF object \(a compressed image"):
        symbolize([], vmlinux=tmp_path / "vmlinuz")
    subprocess.run(["gcc", "-O2", "-o", tmp_path / "nodebug", "init/main.c", "kernel/locking/mutex.c",
                    "virt/kvm/kvm_main.c", "-Iinclude"], cwd=tree, check=True)
    with pytest.raises(SymbolizeError, match=r"nodebug has no line tables \(.debug_line\): build with "
                                             r"CONFIG_DEBUG_INFO=y"):
        symbolize([], vmlinux=tmp_path / "nodebug")
    shutil.copy(tree / "vmlinux", tmp_path / "stripped")
    subprocess.run(["strip", tmp_path / "stripped"], check=True)
    with pytest.raises(SymbolizeError, match=r"stripped has no symbol table"):
        symbolize([], vmlinux=tmp_path / "stripped")


@pytest.mark.filterwarnings("ignore::splatkit.errors.SymbolizeWarning")  # (no modules given)
def test_an_addr2line_that_cannot_read_the_object_is_one_clear_error(tree, report, tmp_path):
    fake = tmp_path / "addr2line"
    fake.write_text("#!/bin/sh\necho \"addr2line: $5: file format not recognized\" >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(SymbolizeError, match=r"addr2line cannot read .*vmlinux: addr2line: .*vmlinux: file "
                                             r"format not recognized; for another architecture's kernel"):
        symbolize([report], vmlinux=tree / "vmlinux", addr2line=str(fake))


# -- a kernel tree: its scripts/faddr2line, or binutils ------------------------------------------

def test_a_kernel_tree_without_faddr2line_uses_binutils_and_its_paths(tree, report):
    (out,) = symbolize([report], kernel_tree=tree)  # vmlinux and modules found in it
    assert out.acquiring.at.source == _marker("set_nx_huge_pages:slots_lock")
    assert out.chain[0].frames[-1].source == _marker("start_kernel")


@pytest.fixture
def faddr2line_tree(tree, tmp_path) -> Path:
    """A kernel tree whose scripts/faddr2line prints, in faddr2line's format, a made-up answer
    for each function+offset it is given, and records its arguments."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "arch").mkdir()
    (tmp_path / "vmlinux").symlink_to(tree / "vmlinux")
    (tmp_path / "arch" / "kvm.ko").symlink_to(tree / "arch/x86/kvm/kvm.ko")
    (tmp_path / "arch" / "kvm-intel.ko").symlink_to(tree / "arch/x86/kvm/kvm-intel.ko")
    script = tmp_path / "scripts" / "faddr2line"
    script.write_text(f"""#!/bin/bash
echo "$@" >> {tmp_path}/args
shift
for item in "$@"; do
    [[ $item == start_kernel+* ]] && {{ echo "no match for $item" >&2; continue; }}
    echo "$item:"
    [[ $item == vmx_set_msr+* ]] && {{ echo "?? ??:0"; continue; }}
    echo "made_up_inline at {tmp_path}/include/made/up.h:12"
    echo " (inlined by) ${{item%%+*}} at {tmp_path}/made/up.c:34 (discriminator 5)"
    echo
done
""")
    script.chmod(0o755)
    return tmp_path


def test_a_kernel_tree_with_faddr2line_asks_it_for_call_sites(faddr2line_tree, sites, report):
    with pytest.warns(SymbolizeWarning) as caught:
        (out,) = symbolize([report], kernel_tree=faddr2line_tree)
    said = sorted(str(w.message) for w in caught)
    assert len(said) == 2
    assert re.fullmatch(r"start_kernel\+.*: scripts/faddr2line on .*vmlinux: no match for start_kernel\+.*: left "
                        r"as printed", said[0])
    assert re.fullmatch(r"vmx_set_msr\+.* \[kvm_intel\]: scripts/faddr2line found no line information for it in "
                        r".*kvm-intel.ko: left as printed", said[1])
    assert out.held_locks[0].lock.at.source is None
    args = (faddr2line_tree / "args").read_text().split()
    site = sites["set_nx:slots_lock"]
    assert f"set_nx_huge_pages+{site.offset - 1:#x}/{site.size:#x}" in args
    assert f"set_nx_huge_pages+{site.offset:#x}/{site.size:#x}" not in args
    assert _decoded(out.chain[1].frames[-2:]) == [
        ("made_up_inline", "include/made/up.h:12", True), ("set_nx_huge_pages", "made/up.c:34", False)]
    assert out.held_locks[1].lock.at.source == "made/up.c:34"
    assert out.chain[0].frames[-1].source is None  # start_kernel: no match


def test_a_failing_faddr2line_is_one_clear_error(faddr2line_tree, report):
    (faddr2line_tree / "scripts" / "faddr2line").write_text(
        "#!/bin/bash\necho 'ERROR: CONFIG_DEBUG_INFO not enabled' >&2\nexit 1\n")
    with pytest.raises(SymbolizeError, match=r"scripts/faddr2line failed on .*: ERROR: CONFIG_DEBUG_INFO not enabled"):
        symbolize([report], kernel_tree=faddr2line_tree)


# -- every place a splat keeps frames (the walk alone, on every golden case) ---------------------

def _frame_dicts(data, path=()):
    """(path, frame dict) for every frame in a splat's ``to_dict()``."""
    if isinstance(data, dict):
        if {"function", "offset", "source", "inline", "text"} <= data.keys():
            yield path, data
            return
        for key, value in data.items():
            yield from _frame_dicts(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _frame_dicts(value, (*path, i))


def _without_locations(data):
    """``to_dict()`` data with what symbolisation adds taken out: inline frames and sources."""
    if isinstance(data, dict):
        if {"function", "offset", "source", "inline", "text"} <= data.keys():
            return {**data, "source": None}
        return {key: _without_locations(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_without_locations(v) for v in data
                if not (isinstance(v, dict) and v.get("inline") and v.get("offset") is None)]
    return data


def _made_up(frame: Frame, exact: bool) -> list[Location]:
    return [Location(f"inner_{frame.function}", "include/made/up.h:1"),
            Location(str(frame.function), f"src/{frame.function}.c:{frame.offset}")]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_frame_a_report_keeps_is_located(path):
    text = path.read_text(encoding="utf-8").partition("\n\n")[2]
    splats = splatkit.parse(text)
    asked = []
    out = add_locations(splats, lambda frame, exact: asked.append((frame, exact)) or _made_up(frame, exact))
    decodable = [(where, f) for splat in splats for where, f in _frame_dicts(splat.to_dict())
                 if f["function"] and f["offset"] is not None and not f["source"] and not f["inline"]]
    code = [(where, f) for where, f in decodable if "key" not in where]  # a lock_class_key is data
    assert len(asked) == len(code) > 0
    # The same frames (to_dict lists fields in its own order), exact only for a WARN's address.
    assert Counter((f.text, f.line_no, exact) for f, exact in asked) == \
        Counter((f["text"], f["line"], where == ("warn_at",)) for where, f in code)
    for before, after in zip(splats, out):
        frames = list(_frame_dicts(after.to_dict()))
        assert all(f["source"] == f"src/{f['function']}.c:{f['offset']}" for where, f in frames
                   if f["offset"] is not None and f["function"] and "key" not in where)
        added = [f for _, f in frames if f["source"] == "include/made/up.h:1"]
        assert all(f["inline"] and f["function"].startswith("inner_") for f in added)
        assert _without_locations(after.to_dict()) == _without_locations(before.to_dict())


def test_the_command_line_names_file_and_line(tree, sites, tmp_path, capsys):
    """``--kernel-tree`` on explain and json: the code an explanation names carries its file:line."""
    from splatkit.cli import main

    path = tmp_path / "splat.txt"
    path.write_text(_report(sites))
    # The code that took kvm_lock is the innermost function at the call site (an inlined one).
    function, where = sites["kvm_dev_ioctl"].expected(tree)[0]
    assert main(["explain", "--no-trimmed", "--kernel-tree", str(tree), str(path)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"#1: {function}() ({where}) takes kvm_lock" in text
    assert main(["json", "--kernel-tree", str(tree), str(path)]) == 0
    assert f'"source": "{where}"' in capsys.readouterr().out.replace(": ", ":").replace('":"', '": "')
