"""syzkaller's oops table: the lines that start a crash report, and their header.

A report's header (``BUG:``, ``WARNING:``, ``INFO:``...) picks the title rules to
try, and a later line that starts another report ends the block of a log without
printk caller ids (:mod:`.block`). Mirrors google/syzkaller ``pkg/report``: the
headers and suppressions of ``linuxOopses`` and ``linux.go``'s ``reportStartIgnores``
and ``infoMessagesWithStack``, ``report.go``'s ``commonOopses`` and ``matchOops``
(syzkaller-titles.md §2.1, §2.3).
"""

from __future__ import annotations

import re

from .joined import _quick_alternation

__all__ = ["INFO_MESSAGES_WITH_STACK", "OOPS_HEADERS", "REPORT_START_IGNORES"]

#: Every oops header syzkaller knows, with the lines that contain it but start no report
#: (``linuxOopses`` headers and suppressions, then ``commonOopses``). A later line that starts
#: one of these ends the block of a log without printk caller ids.
OOPS_HEADERS: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = tuple(
    (header, tuple(re.compile(s) for s in suppressions)) for header, suppressions in (
        ("BUG:", ("ODEBUG:", "Boot_DEBUG:", "xlog_status:", "DEBUG:", "BUG: no syscalls can create resource")),
        ("WARNING:", (
            "WARNING: /etc/ssh/moduli does not exist, using fixed modulus",
            "WARNING: workqueue cpumask: online intersect > possible intersect",
            "WARNING: [Tt]he mand mount option",
            r"WARNING: Unsupported flag value\(s\) of 0x%x in DT_FLAGS_1",
            "WARNING: Unprivileged eBPF is enabled with eIBRS",
            r"WARNING: fbcon: Driver '(.*)' missed to adjust virtual screen size "
            r"(\((?:\d+)x(?:\d+) vs\. (?:\d+)x(?:\d+)\))",
            "WARNING: See https.* for mitigation options.",
            "WARNING: kernel not compiled with CPU_SRSO",
            r"EXT4-[Ff][Ss](?: \(.*\))?:",
            "(?i)warning: .* uses (deprecated v2 capabilities|wireless extensions)",
            r"XFS \(\w+\): WARNING",
        )),
        ("INFO:", (
            "INFO: lockdep is turned off", "INFO: Stall ended before state dump start",
            "INFO: NMI handler", "INFO: recovery required on readonly filesystem",
            "(handler|interrupt).*took too long", "INFO: sys_.* is not present in /proc/kallsyms",
            "INFO: no syscalls can create resource", "rmt_storage:INFO:", "_INFO:",
        )),
        ("Unable to handle kernel", ()),
        ("general protection fault", (r"general protection fault .* error:\d+ in ",)),
        ("stack segment: ", ()),
        ("Kernel panic", ()),
        ("PANIC: double fault", ()),
        ("rust_kernel: panicked", ()),
        ("kernel BUG", ()),
        ("Kernel BUG", ()),
        ("BUG kmalloc-", ()),
        ("divide error:", ()),
        ("divide_error:", ()),
        ("invalid opcode:", ()),
        ("UBSAN:", ()),
        ("Booting the kernel.", ("Parsing ELF|Decompressing Linux|Unknown parameter '",)),
        ("unregister_netdevice: waiting for", ()),
        ("VFS: Close: file count is 0", ()),
        ("VFS: Busy inodes after unmount", ()),
        ("Internal error:", ()),
        ("Unhandled fault:", ()),
        ("Alignment trap:", ()),
        ("trusty: panic", ()),
        ("fatal error:", ("ALSA", "fatal error: cannot create timer")),
        ("SYZFAIL:", ()),
        ("SYZFATAL:", ()),
        ("panic:", ("_panic:", "xlog_status:", r"ddb\.onpanic:", "evtlog_status:")),
    )
)

#: Oops lines that may sit inside another report without ending it (``reportStartIgnores``).
REPORT_START_IGNORES: tuple[str, ...] = (
    "invalid opcode: 0000", "Kernel panic - not syncing", "unregister_netdevice: waiting for",
    "PANIC: double fault", "Internal error:",
)

#: Not crashes, but they print a stack, so they end the block too (``infoMessagesWithStack``).
INFO_MESSAGES_WITH_STACK: tuple[str, ...] = (
    "vmalloc: allocation failure:", "FAULT_INJECTION: forcing a failure", "FAULT_FLAG_ALLOW_RETRY missing",
)


def _oops_header(raw: str) -> str | None:
    """The header of the first oops group that the line starts (``matchOops``), or None."""
    for header, suppressions in OOPS_HEADERS:
        if header in raw and not any(s.search(raw) for s in suppressions):
            return header
    return None


#: Any oops header or stack-printing message: most lines contain none, and one search says so.
_ANY_REPORT_START = re.compile("|".join(re.escape(text) for text in (
    [header for header, _ in OOPS_HEADERS] + list(INFO_MESSAGES_WITH_STACK))))

#: :data:`_ANY_REPORT_START` for searching a whole window (see :func:`.joined._quick_alternation`).
_ANY_REPORT_START_QUICK = _quick_alternation(
    [header for header, _ in OOPS_HEADERS] + list(INFO_MESSAGES_WITH_STACK))


def _starts_report(raw: str) -> bool:
    """Whether a line inside the block starts another report."""
    if _ANY_REPORT_START.search(raw) is None:
        return False
    if any(message in raw for message in INFO_MESSAGES_WITH_STACK):
        return True
    return _oops_header(raw) is not None and not any(ignore in raw for ignore in REPORT_START_IGNORES)
