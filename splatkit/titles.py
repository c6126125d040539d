"""One-line titles in syzkaller's style, so a splat can be matched against syzbot's bug list.

The title format of each kind is in :data:`splatkit.grammar.kinds.KINDS`; this
module finds the function a report blames (``{func}``) the way syzkaller's
``pkg/report/linux.go`` does, skipping locking and reporting plumbing, and
normalises the result (spec/syzkaller-titles.md §1-§3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .grammar.kinds import ReportKind
from .model import Frame, Splat

__all__ = ["blamed_function", "title_for"]

#: Frames whose function matches are plumbing, not the code to blame (syzkaller skipPatterns,
#: the lockdep-relevant subset).
SKIP = re.compile(
    r"lockdep|lock_acquire|lock_release|lock_class|mark_lock|mark_held_locks|print_unlock"
    r"|imbalance_bug|print_usage_bug|bh_enable|bh_disable|raw_spin_rq|spin_lock|spin_trylock"
    r"|spin_unlock|read_lock|read_trylock|write_lock|write_trylock|read_unlock|write_unlock"
    r"|down_read|down_write|down_trylock|up_read|up_write|osq_lock|osq_unlock|owner_on_cpu"
    r"|(?:trace|lockdep)_(?:hard|soft)irq|lock_timer_base|dump_stack|show_stack|dump_backtrace"
    r"|walk_stack|panic|__warn|warn_slowpath|report_bug|printk|stack_trace_save|arch_stack_walk"
    r"|^down$|^mutex_|^__mutex_|^rt_mutex_|^lock_page|^unlock_page|process_one_work|flush_workqueue"
    r"|drain_workqueue|destroy_workqueue"
)

#: Syscall-entry prefixes syzkaller strips from frames taken from a stack (the shortest result wins).
PREFIXES = ("SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_",
            "__se_", "__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_")

_FUNC = re.compile(r"^[A-Za-z0-9_]+")


def _func(frame: Frame | None) -> str | None:
    if frame is None or frame.function is None or frame.offset is None:
        return None
    m = _FUNC.match(frame.function)
    return m.group(0) if m else None


def _strip_prefix(name: str) -> str:
    candidates = [name[len(p):] for p in PREFIXES if name.startswith(p) and len(name) > len(p)]
    return min(candidates, key=len) if candidates else name


def _first_unskipped(frames: Iterable[Frame]) -> str | None:
    for frame in frames:
        name = _func(frame)
        if name is not None and not frame.unreliable and not SKIP.search(name):
            return _strip_prefix(name)
    return None


def blamed_function(splat: Splat) -> str | None:
    """The function syzkaller would name in the title of ``splat``.

    For circular reports: the acquire site of the lock being taken, else of the
    held lock, else the first non-plumbing frame of the chain stacks (#N first).
    For other kinds: the acquire site, else the first non-plumbing backtrace frame.
    """
    at_sites = [lock.at for lock in (splat.acquiring, splat.holding) if lock is not None]
    for frame in at_sites:
        name = _func(frame)
        if name is not None:
            if not SKIP.search(name):
                return _strip_prefix(name)
            if splat.kind != "circular":
                return name
    chain_frames = (f for entry in splat.chain for f in entry.frames)
    return _first_unskipped(chain_frames) or _first_unskipped(splat.backtrace)


def normalize_title(title: str) -> str:
    """syzkaller's title normalisation: addresses, numbers and offsets become placeholders."""
    title = re.sub(r"([^\w])(?:0x)?[0-9a-f]{6,}", r"\1ADDR", title)
    title = re.sub(r"(\w)\+0x[0-9a-f]+/0x[0-9a-f]+", r"\1", title)
    title = re.sub(r"(?<=\W)\d+(?=\W|$)", "NUM", title)
    title = re.sub(r"\d{7,}", "NUM", title)
    title = title.encode("ascii", "ignore").decode()[:120]
    return re.sub(r"\s+", " ", title).strip()


def title_for(splat: Splat, kind: ReportKind) -> str:
    """The title of ``splat`` from its kind's title format."""
    level = re.match(r"^\[?\s*(?:ProveLock\s+)?(INFO|BUG|WARNING)", splat.banner)
    func = blamed_function(splat) or "corrupted"
    title = kind.title.format(func=func, level=level.group(1) if level else "WARNING",
                              banner=splat.banner.strip("[] "))
    return normalize_title(title)
