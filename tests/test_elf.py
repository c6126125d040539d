"""splatkit.elf: the code symbols it reads are those ``nm`` lists, in objects gcc builds here.

Skips without gcc and binutils, unless ``SPLATKIT_REQUIRE_TOOLCHAIN=1`` (``.ci/run``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from splatkit.elf import ElfObject
from splatkit.errors import SymbolizeError

SOURCE = """\
volatile int seen;

static __attribute__((noipa)) int helper(int x)
{
	return x * 3 + seen;
}

int entry(int x)
{
	seen = helper(x);
	return seen + 1;
}

int main(void)
{
	return entry(2);
}
"""


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Compile SOURCE with the given flags into an object; returns its path."""
    missing = [tool for tool in ("gcc", "nm", "size") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("SPLATKIT_REQUIRE_TOOLCHAIN"):
            pytest.fail(f"SPLATKIT_REQUIRE_TOOLCHAIN is set but {', '.join(missing)} not found; "
                        "apt-get install gcc binutils")
        pytest.skip(f"{', '.join(missing)} not found (apt-get install gcc binutils)")
    root = tmp_path_factory.mktemp("elf")
    (root / "demo.c").write_text(SOURCE)

    def build(name: str, *flags: str) -> Path:
        done = subprocess.run(["gcc", "-O2", *flags, "-o", name, "demo.c"], cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"gcc {' '.join(flags)} cannot build here: {done.stderr.strip()[-200:]}")
        return root / name

    return build


def _nm(path: Path) -> set[tuple[str, int, int]]:
    """(name, value, size) of every text symbol ``nm -S`` lists."""
    out = subprocess.run(["nm", "-S", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()]
    return {(r[-1], int(r[0], 16), int(r[1], 16) if len(r) == 4 else 0) for r in rows if r[-2] in "tT"}


@pytest.mark.parametrize("flags", [("-g",), ("-g", "-c", "-ffunction-sections"), ("-g", "-c", "-m32")],
                         ids=["executable", "relocatable-function-sections", "relocatable-32-bit"])
def test_functions_are_those_nm_lists(build, flags):
    path = build("demo-" + "".join(flags).replace("-", ""), *flags)
    image = ElfObject(path)
    listed = _nm(path)
    assert {"entry", "helper", "main"} <= {name for name, _, _ in listed}
    read = {(s.name, s.value, s.size) for name, _, _ in listed for s in image.functions(name)}
    assert read == listed
    assert image.relocatable == ("-c" in flags) and image.has_line_info
    assert image.functions("seen") == [] and image.functions("no_such_function") == []


def test_a_relocatable_object_says_each_functions_section_and_kallsyms_size(build):
    image = ElfObject(build("sections.o", "-g", "-c", "-ffunction-sections"))
    (entry,) = image.functions("entry")
    (helper,) = image.functions("helper")
    assert (entry.section, entry.value, helper.section, helper.value) == (".text.entry", 0, ".text.helper", 0)
    # Alone in its section, a function's kallsyms size runs to the section's end.
    sizes = subprocess.run(["size", "-A", image.path], capture_output=True, text=True, check=True).stdout
    section_size = {line.split()[0]: int(line.split()[1]) for line in sizes.splitlines()[2:] if line.split()}
    assert entry.span == section_size[".text.entry"] and entry.fits(entry.span) and entry.fits(entry.size)
    assert not entry.fits(entry.span + 1)


def test_an_executables_kallsyms_size_runs_to_the_next_symbol(build):
    path = build("demo", "-g")
    image = ElfObject(path)
    ordered = sorted(value for _, value, _ in _nm(path))
    for name in ("entry", "helper", "main"):
        (symbol,) = image.functions(name)
        following = [value for value in ordered if value > symbol.value]
        assert following and symbol.span == following[0] - symbol.value
        assert symbol.span >= symbol.size


def test_line_tables_need_debug_info(build):
    assert not ElfObject(build("nodebug.o", "-c")).has_line_info


def test_what_is_no_elf_object_is_one_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not an object\n" * 10)
    with pytest.raises(SymbolizeError, match=r"notes.txt is not an ELF object$"):
        ElfObject(tmp_path / "notes.txt")
    (tmp_path / "cut").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(20))
    with pytest.raises(SymbolizeError, match=r"cut: not a readable ELF object"):
        ElfObject(tmp_path / "cut")
    with pytest.raises(SymbolizeError, match=r"cannot read .*missing: No such file or directory"):
        ElfObject(tmp_path / "missing")
