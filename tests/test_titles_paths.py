"""The quick paths of splatkit/titles/ and the grammar read as the plain algorithms do.

splatkit.titles reads a report's block and its stack walks by searching text joined from
many lines, and the grammar tries several regexes in one match (``FirstMatch``).
Each test here compares such a path with the straightforward loop it replaces
(upstream syzkaller's line-by-line reading, a loop over the regexes), on the seed
under several console formats, on logs edited to hit the rare rules, and on every
file of the shared corpus.
"""

from __future__ import annotations

import random
import re

import pytest

from conftest import read_log
from splatkit.grammar.kinds import KINDS, FirstMatch, match_banner, syz_compile
from splatkit.grammar.sections import SECTIONS
from splatkit.lines import normalize
from splatkit.grammar.tokens import MAX_LINE
from splatkit.titles import (
    _CORRUPTED_ANY,
    _CPU_CONTEXT,
    _STACK_START_ANY,
    CONSOLE,
    CONSOLE_HANGUP,
    MAX_BLOCK_LINES,
    STACK,
    _console_view,
    _frame_line,
    _functions,
    _Lines,
    _skip_regex,
    _starts_report,
    _walk,
    report_block,
    strip_frame_prefix,
    syzkaller_title,
)


# -- the plain algorithms -------------------------------------------------------------------------

def plain_report_block(lines, start):
    """report_block as upstream reads it: one line at a time."""
    window = lines[start:start + MAX_BLOCK_LINES]
    context = _console_view(window[0])[0]
    tagged = context not in ("", CONSOLE)
    min_lines = 16 if "BUG: KMSAN:" in window[0].raw[:MAX_LINE] else 22
    block, cut = [], 0
    second_report = cpu_traceback = skip_rest = hangup = False
    counted = 0
    for n, line in enumerate(window):
        raw = line.raw[:MAX_LINE]
        banner = n == 0
        hangup = hangup or CONSOLE_HANGUP in raw
        if not banner and not second_report:
            second_report = _starts_report(raw)
        line_context, text, questionable = _console_view(line)
        if not banner and (questionable or (line_context != context and not (
                cpu_traceback and _CPU_CONTEXT.search(line_context)))):
            continue
        counted += 1
        skip = skip_rest
        if "Disabling lock debugging due to kernel taint" in raw:
            skip = True
        elif "Sending NMI from CPU" in raw:
            cpu_traceback = True
        elif counted > min_lines and ("Kernel panic - not syncing" in raw
                                      or "WARNING: possible circular locking dependency detected" in raw):
            skip_rest = skip = True
        if skip and not banner:
            continue
        block.append(text)
        if not second_report or tagged:
            cut = len(block)
    return block, cut, hangup


def plain_walk(parts, lines, skip):
    """_walk as upstream reads it: every line tested in turn."""
    candidates, functions, ok, walks, pos, index = [], [], True, 0, 0, 0
    while True:
        if index == len(parts) or (parts[index] == STACK and walks > 0):
            function = strip_frame_prefix(candidates[0]) if candidates else ""
            if not function:
                function, ok = "corrupted", False
            functions.append(function)
            candidates = []
        if index == len(parts):
            return functions, ok
        part = parts[index]
        following = parts[index + 1] if index + 1 < len(parts) else None
        if part == STACK:
            walks += 1
        while pos < len(lines):
            text = lines[pos]
            pos += 1
            if _CORRUPTED_ANY.search(text):
                ok = False
                break
            if part == STACK:
                if _STACK_START_ANY.search(text):
                    break
                if isinstance(following, re.Pattern):
                    m = following.search(text)
                    if m is not None:
                        candidates += _functions(m, skip)
                        index += 1
                        break
                candidates += _functions(_frame_line(text), skip)
            else:
                m = part.search(text)
                if m is not None:
                    candidates += _functions(m, skip)
                    break
        index += 1


# -- logs that hit the rare rules -----------------------------------------------------------------

#: Lines that make report_block or a stack walk do something else than keep a line.
RARE_LINES = [
    "Kernel panic - not syncing: panic_on_warn set ...", "Sending NMI from CPU 0 to CPUs 1:",
    "Disabling lock debugging due to kernel taint", "WARNING: possible circular locking dependency detected",
    "BUG: KASAN: use-after-free in foo+0x1/0x2", "INFO: task hung", " ? foo+0x1/0x2", " should_fail+0x1/0x2",
    " should_failslab.part.0+0x1/0x2", CONSOLE_HANGUP, "Call Trace:", " <TASK>", "Allocated by task 12:",
    "Freed by task 13:", "stack backtrace:", " backtrace:", "Backtrace:", " bar+0x10/0x20 (unreliable)",
    " <EOI> ? x+0x1/0x2", "BUG: KMSAN: uninit", "general protection fault, probably", "invalid opcode: 0000 [#1]",
    "BUG: no syscalls can create resource", "RIP: 0010:lock_release+0x1/0x2", "  [<ffffffff81000000>] foo+0x1/0x2",
    "[<c0100000>] (a) from [<c0100004>] (b+0x1/0x2)", " __x64_sys_ioctl+0x1/0x2", "", "x login: [   1.000000] hi",
    "status: 0000000000000000 badaddr: 0000000000000000 cause: 000000000000000d", "vmalloc: allocation failure: 0",
]


def _restyle(text: str, style: int, rnd: random.Random) -> str:
    """``text`` with each line's console prefix replaced by one of several formats."""
    out = []
    for i, line in enumerate(text.split("\n")):
        body = re.sub(r"^\[ *\d+\.\d+\](\[ *[TC]\d+\])? ?", "", line)
        prefix = ["", f"[  {i}.000000] ", f"[  {i}.000000][  T{rnd.choice([1, 1, 2])}] ",
                  f"> [  {i}.000000][  C{rnd.choice([0, 0, 1])}] ",
                  rnd.choice(["", "<4>", "** 3 printk messages dropped ** "]) + f"[  {i}.000000] "][style]
        out.append(prefix + body)
    return "\n".join(out)


def _edited_logs(seed_text: str) -> list[str]:
    rnd = random.Random(1)
    logs = []
    for style in range(5):
        logs.append(_restyle(seed_text, style, rnd))
        if style in (0, 2):  # each rare line last (the end of the block and of its walks)
            logs += [_restyle(seed_text.rstrip("\n") + "\n" + line, style, rnd) for line in RARE_LINES]
        for _ in range(6):
            lines = seed_text.split("\n")
            for _ in range(rnd.randint(1, 8)):
                lines.insert(rnd.randrange(len(lines) + 1), rnd.choice(RARE_LINES))
            logs.append(_restyle("\n".join(lines), style, rnd))
    return logs


def _check_log(text: str, every: int = 1) -> None:
    lines = normalize(text)
    for start in range(0, len(lines), every):
        assert report_block(lines, start) == plain_report_block(lines, start), start
        found = match_banner(lines[start].text)
        for kind in ([found[0]] if found else []):
            block, cut, _ = report_block(lines, start)
            for rule in kind.title_rules:
                skip = _skip_regex(rule.skip)
                for parts in (rule.stack, rule.stack2):
                    if parts:
                        assert _walk(parts, _Lines(block[:cut]), skip) == plain_walk(parts, block[:cut], skip)
            syzkaller_title(lines, start, kind)


def test_quick_paths_on_edited_seed(seed_text):
    for text in _edited_logs(seed_text):
        _check_log(text)


def test_quick_paths_on_corpus(corpus_file, corpus_dir):
    _check_log(read_log(corpus_dir / "report" / corpus_file), every=3)


# -- FirstMatch ----------------------------------------------------------------------------------

def _first(patterns, text):
    return next(((i, m.span(), m.groupdict()) for i, m in ((i, p.match(text)) for i, p in enumerate(patterns))
                 if m is not None), None)


@pytest.mark.parametrize("text", [
    "WARNING: possible circular locking dependency detected", "[ INFO: possible recursive locking detected ]",
    "foo/12 is trying to acquire lock:", "stack backtrace:", "  Possible unsafe locking scenario:",
    "3 locks held by kworker/0:1/12:", " lock_acquire+0x1a2/0x4b0", "", "BUG: MAX_LOCKDEP_KEYS too low!",
    "Showing all locks held in the system:", "WARNING: CPU: 1 PID: 2 at kernel/locking/lockdep.c:3 f+0x1/0x2",
])
def test_first_match_is_the_first_regex_that_matches(text):
    banners = [kind.banner for kind in KINDS]
    found = FirstMatch(banners).match(text)
    assert (None if found is None else (found[0], found[1].span(), found[1].groupdict())) == _first(banners, text)
    for kind in KINDS:
        headers = [SECTIONS[name].header for name in kind.sections]
        found = FirstMatch(headers).match(text)
        assert (None if found is None else (found[0], found[1].span(), found[1].groupdict())) == _first(headers, text)


def test_first_match_refuses_named_back_references():
    with pytest.raises(ValueError):
        FirstMatch([re.compile(r"(?P<a>x)(?P=a)")])


#: Lines a stack walk may meet: frames of each format, the lines that end walks or parts.
WALK_LINES = [
    " lock_acquire+0x1a2/0x4b0", " _raw_spin_lock+0x2a/0x40", " kvm_dev_ioctl+0x4fb/0xe50", " __x64_sys_ioctl+0x1/0x2",
    " mutex_lock_nested+0x1/0x2", "  [<ffffffff81000000>] foo_bar+0x1/0x2", " ? skipped_maybe+0x1/0x2",
    "[<c0100000>] (callee) from [<c0100004>] (caller+0x1/0x2)", " _Z8fakeNameiii+0x1/0x2", " should_fail+0x1/0x2",
    " should_failslab.part.0+0x1/0x2", " __should_failslab+0x1/0x2", "Call Trace:", "Call trace:", " <TASK>",
    "Backtrace:", " backtrace:", "stack backtrace:", "Allocated by task 3:", "Freed:", "RIP: 0010:lock_release+0x1/0x2",
    "RIP: 0033:0x457ec9", "--- interrupt: 900 at handler+0x1/0x2", "ffff (a){+.+.}, at: take_it+0x1/0x2",
    "#0: ffff (b){+.+.}, at: [<ffffffff81000000>] held_it+0x1/0x2", "which became SOFTIRQ-irq-safe at:",
    "foo/1 is trying to acquire lock:", "x/1 [HC0[0]:SC1[1]:HE1:SE0] takes:", "", "text with no frame",
    "status: 0000000000000000 badaddr: 0000000000000000 cause: 000000000000000d",
]


#: Walks no table row has (a regex after a stack, two stacks, a regex that reads line ends).
OTHER_WALKS = [
    (STACK,), (STACK, syz_compile("at: (?:{{PC}} +)?{{FUNC}}")), (STACK, STACK),
    (syz_compile("takes"), STACK, syz_compile("(?:Call (?:T|t)race:)"), STACK),
    (syz_compile("^RIP: [0-9]+:{{FUNC}}"), STACK), (syz_compile(r"trace:$"), STACK),
]


def test_walk_on_generated_blocks():
    rnd = random.Random(3)
    walks = [(parts, _skip_regex(rule.skip)) for kind in KINDS for rule in kind.title_rules
             for parts in (rule.stack, rule.stack2) if parts]
    walks += [(parts, _skip_regex(())) for parts in OTHER_WALKS]
    for _ in range(3000):
        block = [rnd.choice(WALK_LINES) for _ in range(rnd.randint(1, 25))]
        for parts, skip in rnd.sample(walks, 6):
            assert _walk(parts, _Lines(block), skip) == plain_walk(parts, block, skip), (block, parts)
