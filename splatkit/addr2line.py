"""Running the tools that turn a code address into source lines, and reading what they print.

Two tools, both printing, for one address, the chain of functions inlined there, innermost
first, the function that holds the code last:

- binutils' (or LLVM's) ``addr2line --addresses --functions --inlines``: a function name
  line and a ``file:line`` line per function, each answer after the address asked (a
  relocatable object, a ``.ko``, takes its addresses in one section: ``-j SECTION``);
- the kernel's ``scripts/faddr2line OBJECT func+0xoff/0xsize...``: a ``func+0xoff/0xsize:``
  header per symbol matched, then ``func at file:line`` and `` (inlined by) func at
  file:line`` lines; ``skipping ...`` and ``no match for ...`` say why a symbol was not.

Each function returns what was printed, as (function, ``file:line``) pairs; making paths
relative and deciding what an answer means is :mod:`splatkit.symbolize`'s.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import defaultdict

from .errors import SymbolizeError

__all__ = ["run_addr2line", "run_faddr2line"]

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_FADDR2LINE_HEADER = re.compile(r"(?P<func>\S+)\+(?P<off>0x[0-9a-fA-F]+|\d+)(?:/\S+)?:")
#: An answer line; a newer faddr2line runs addr2line with --addresses and strips them, an older
#: one may leave ``0x...: `` in front. The location may be followed by ``(discriminator N)``.
_FADDR2LINE_LINE = re.compile(r"(?:0x[0-9a-fA-F]+: )?\s*(?:\(inlined by\) )?(?P<func>\S+) at (?P<where>\S+)(?: .*)?")

Pairs = list[tuple[str, str]]


def run_addr2line(addr2line: str, path: str, addresses: list[int], section: str | None = None) -> dict[int, Pairs]:
    """What addr2line says about each address of one object, asked in one run.

    Parameters
    ----------
    addr2line : str
        The addr2line program (a path, or a name on ``PATH``).
    path : str
        The object: a vmlinux, or a module (relocatable: addresses are offsets in ``section``).
    addresses : list of int
        The addresses to look up.
    section : str, optional
        The section the addresses are in, for a relocatable object (``-j``).

    Returns
    -------
    dict
        For each address answered, its (function, ``file:line``) pairs as printed, innermost
        first; ``("??", "??:0")`` where addr2line knows nothing.

    Raises
    ------
    SymbolizeError
        When addr2line cannot run or cannot read the object (another architecture's, say).
    """
    command = [addr2line, "--addresses", "--functions", "--inlines", "-e", path]
    command += ["-j", section] if section is not None else []
    out, err, status = _run(command, "".join(f"{address:#x}\n" for address in addresses))
    if status != 0:
        said = (err.strip().splitlines() or [f"exit status {status}"])[-1]
        raise SymbolizeError(f"addr2line cannot read {path}: {said}; for another architecture's kernel pass that "
                             "architecture's addr2line (or llvm-addr2line)")
    found: dict[int, Pairs] = {}
    current: Pairs = []
    lines = [line for line in out.splitlines() if line.strip()]  # (llvm-addr2line may separate answers)
    i = 0
    while i < len(lines):
        if _ADDRESS.fullmatch(lines[i]):  # (--addresses: each answer starts with the address asked)
            current = found.setdefault(int(lines[i], 16), [])
            i += 1
        else:
            current.append((lines[i], lines[i + 1] if i + 1 < len(lines) else "??:0"))
            i += 2
    return found


def run_faddr2line(script: str, path: str, items: list[str]) -> tuple[dict[tuple[str, int], list[Pairs]], list[str]]:
    """What the kernel's ``scripts/faddr2line`` says about ``func+0xoff/0xsize`` items of one object.

    Returns
    -------
    (answers, said)
        For each (function, offset) it answered, one list of pairs per symbol it matched
        (several: functions of the same name and size), innermost first; and the other lines
        it printed (``no match for ...``, ``skipping ... due to size mismatch``), in order.

    Raises
    ------
    SymbolizeError
        When the script cannot run, or fails without answering (``ERROR: CONFIG_DEBUG_INFO not
        enabled``, a tool it needs missing).
    """
    runner = [script] if os.access(script, os.X_OK) else ["bash", script]
    out, err, status = _run([*runner, path, *items], None)
    answers: dict[tuple[str, int], list[Pairs]] = defaultdict(list)
    block: Pairs | None = None
    said = []
    for line in out.splitlines():
        header = _FADDR2LINE_HEADER.fullmatch(line)
        answer = _FADDR2LINE_LINE.fullmatch(line)
        if header:
            block = []
            answers[header["func"], int(header["off"], 0)].append(block)
        elif answer and block is not None and not line.startswith("skipping "):
            block.append((answer["func"], answer["where"]))
        elif line.strip():
            said.append(line.strip())
    said += [line.strip() for line in err.splitlines() if line.strip()]
    if status != 0 and not answers:
        raise SymbolizeError(f"scripts/faddr2line failed on {path}: {said[-1] if said else f'exit status {status}'}")
    return dict(answers), said


def _run(command: list[str], stdin: str | None) -> tuple[str, str, int]:
    """Standard output, standard error and exit status of a tool (that cannot start: SymbolizeError)."""
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, text=True, errors="replace")
    except OSError as err:
        raise SymbolizeError(f"cannot run {command[0]}: {err.strerror or err}") from None
    return done.stdout, done.stderr, done.returncode
