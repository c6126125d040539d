"""Which function of a stack frame may be blamed, and the name the title gives it.

A stack walk (:mod:`.stack`) offers the functions its frame lines capture; these
are dropped when they are never to blame (locking, reporting, allocation code...),
demangled, and a syscall entry prefix is stripped from the one kept. Mirrors
google/syzkaller ``pkg/report/report.go``'s ``appendStackFrame`` and
``stackParams.stripFrames``, with ``linux.go``'s ``linuxStackParams.skipPatterns``
and ``stripFramePrefixes`` as tables (syzkaller-titles.md §1, §3).
"""

from __future__ import annotations

import functools
import re

__all__ = ["SKIP_PATTERNS", "STRIP_FRAME_PREFIXES", "demangle", "strip_frame_prefix"]

#: Functions that are never to blame: frames whose name matches any of these (unanchored
#: regexes, unless they say ``^``/``$``) are skipped while looking for a title's function.
#: Verbatim from google/syzkaller ``pkg/report/linux.go``, ``linuxStackParams.skipPatterns``
#: (a 2025 revision; syzkaller-titles.md §1 lists the lockdep-relevant entries).
SKIP_PATTERNS: tuple[str, ...] = (
    "__sanitizer", "__asan", "kasan", "hwasan", "__msan", "kmsan", "kcsan_setup_watchpoint",
    "check_memory_region", "check_heap_object", "check_object", "read_word_at_a_time",
    "(read|write)_once_.*nocheck", "print_address_description", "panic", "invalid_op",
    "report_bug", "fixup_bug", "print_report", "print_usage_bug", "do_error", "invalid_op",
    r"_trap$|do_trap", "show_stack", "dump_stack", "walk_stack", "dump_backtrace",
    "warn_slowpath", "warn_alloc", "warn_bogus", "__warn", "alloc_page", "k?v?(?:m|z|c)alloc",
    "krealloc", "kmem_cache", "allocate_slab", "__alloc_frozen_pages_noprof",
    "folio_(?:alloc|unlock)", "filemap_alloc_folio", "__filemap_get_folio", "find_or_create_page",
    "do_read_cache_folio", "read_cache_page", "pagecache_get_page", "grab_cache_page_write_begin",
    "slab_", "debug_object", "timer_is_static_object", "work_is_static_object", "__might_fault",
    "print_unlock", "imbalance_bug", "lockdep", "bh_enable", "bh_disable", "perf_trace",
    "lock_acquire", "lock_release", "lock_class", "mark_lock", "(reacquire|mark)_held_locks",
    "raw_spin_rq", "spin_lock", "spin_trylock", "spin_unlock", "read_lock", "read_trylock",
    "write_lock", "write_trylock", "read_unlock", "write_unlock", "^down$", "down_read",
    "down_write", "down_read_trylock", "down_write_trylock", "down_trylock", "up_read", "up_write",
    "^mutex_", "^__mutex_", "^rt_mutex_", "owner_on_cpu", "osq_lock", "osq_unlock",
    "atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)",
    "(set|clear|change|test)_bit", "__wake_up", "^refcount_", "^kref_", "ref_tracker",
    "seqprop_assert", "memcpy", "memcmp", "memset", "memchr", "memmove", "memdup", "strcmp",
    "strncmp", "strcpy", "strlcpy", "strncpy", "strscpy", "strlen", "strstr", "strnstr",
    "strnlen", "strchr", "strdup", "strndup", "copy_to_user", "copy_from_user", "copy_to_iter",
    "copy_from_iter", "copy_page_to_iter", "copy_page_from_iter", "copy_folio_to_iter",
    "^copyin$", "^copyout$", "put_user", "get_user", "might_fault", "might_sleep", "list_add",
    "list_del", "list_replace", "list_move", "list_splice", "^rb_", "^__rb_",
    "_indirect_thunk_",  # retpolines
    "string", "pointer", "snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk",
    "va_format", "dev_info", "dev_notice", "dev_warn", "dev_err", "dev_alert", "dev_crit",
    "dev_emerg", "program_check_exception", "program_check_common", "del_timer", "flush_work",
    "__cancel_work_timer", "cancel_work_sync", "try_to_grab_pending", "flush_workqueue",
    "drain_workqueue", "destroy_workqueue", "queue_work", "finish_wait", "kthread_stop",
    "kobject_", "add_uevent_var", "get_device_parent", "device_add", "device_del",
    "device_unregister", "device_destroy", "device_release", "devres_release_all",
    "hwrng_unregister", "i2c_del_adapter", "__unregister_client", "device_for_each_child",
    "rollback_registered", "unregister_netdev", "sysfs_remove", "device_remove_file",
    "tty_unregister_device", "dummy_urb_enqueue", "usb_kill_urb", "usb_kill_anchored_urbs",
    "usb_control_msg", "usb_hcd_submit_urb", "usb_submit_urb", "^complete$",
    "wait_for_completion", "^kv?free$", "kfree_skb", "readb$", "readw$", "readl$", "readq$",
    "writeb$", "writew$", "writel$", "writeq$", "logic_in", "logic_out", r"^crc\d+",
    "crc_itu_t", "__might_resched", "assertfail", "^iput$", "^iput_final$", "^ihold$",
    "hex_dump_to_buffer", "print_hex_dump", "^klist_", "(trace|lockdep)_(hard|soft)irq",
    "^(un)?lock_page", "stack_trace_consume_entry", "arch_stack_walk", "stack_trace_save",
    "insert_work", "__queue_delayed_work", "queue_delayed_work_on", "ida_free",
    # arm64 translation exception handling path.
    "do_(kernel|translation)_fault", "do_mem_abort", "el1_abort", "el1h_64_sync(?:_handler)?",
    "print_tainted", "xas_(?:start|load|find)", "find_lock_entries", "truncate_inode_pages_range",
    "__phys_addr", "__fortify_report", "cleanup_srcu_struct", "rhashtable_lookup",
    "extract_(user|iter)_to_sg", "drop_nlink", "^get_taint$", "^put_device$", "lock_timer_base",
    "__timer_delete_sync", "sk_stop_timer_sync", "__mod_timer", "fast_dput", "dput",
)

#: Syscall entry prefixes removed from a function taken from a stack; of the names left by
#: removing each one, the shortest wins (``linuxStackParams.stripFramePrefixes``).
STRIP_FRAME_PREFIXES: tuple[str, ...] = (
    "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_",
    "__se_", "__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
)


def _functions(m: re.Match[str] | None, skip: re.Pattern[str]) -> list[str]:
    """The functions a match captured, demangled, without those to skip (``appendStackFrame``)."""
    if m is None:
        return []
    # The same names recur in every stack: remember each one's fate per skip regex (keyed by
    # id: hashing a compiled pattern hashes its whole program).
    seen = _KEPT.setdefault(id(skip), {})
    kept = []
    for group in m.groups():
        if group is not None:
            name = seen.get(group, _UNSEEN)
            if name is _UNSEEN:
                if len(seen) > _KEPT_MAX:
                    seen.clear()
                name = demangle(group)
                name = seen[group] = None if skip.search(name) else name
            if name is not None:
                kept.append(name)
    return kept


#: id(skip regex) -> {captured name: demangled name, or None when skipped}. The skip regexes
#: come from :func:`_skip_regex`'s cache and live as long as the process.
_KEPT: dict[int, dict[str, str | None]] = {}
_KEPT_MAX = 1 << 14
_UNSEEN = object()


@functools.lru_cache(maxsize=None)
def _skip_regex(extra: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(SKIP_PATTERNS + extra))


def strip_frame_prefix(name: str) -> str:
    """``name`` without its syscall entry prefix: the shortest of the names left by removing
    each one of :data:`STRIP_FRAME_PREFIXES` (upstream ``stripFrames``).

    >>> strip_frame_prefix("__arm64_sys_rt_sigreturn"), strip_frame_prefix("SyS_ioctl")
    ('sys_rt_sigreturn', 'ioctl')
    """
    shortest = name
    for prefix in STRIP_FRAME_PREFIXES:
        if name.startswith(prefix) and len(name) - len(prefix) < len(shortest):
            shortest = name[len(prefix):]
    return shortest


_SOURCE_NAME = re.compile(r"([1-9][0-9]*)")
#: Itanium codes of builtin parameter types: what may follow a function's name.
_BUILTIN_TYPES = re.compile(r"[vwbcahstijlmxynofdegzKP]*")


def demangle(name: str) -> str:
    """A C++ symbol's plain name, as syzkaller's ``demangle.Filter(name, NoParams)`` gives it.

    Only plain and namespaced names with builtin parameter types are understood;
    anything else is returned unchanged, as syzkaller does when demangling fails.

    >>> demangle("_Z8fakeNameiii"), demangle("_ZN3foo3barEv"), demangle("lock_acquire")
    ('fakeName', 'foo::bar', 'lock_acquire')
    """
    if not name.startswith("_Z"):
        return name
    nested = name.startswith("_ZN")
    pos = 3 if nested else 2
    parts = []
    while True:
        m = _SOURCE_NAME.match(name, pos)
        if m is None:
            return name
        end = m.end() + int(m.group(1))
        if end > len(name):
            return name
        parts.append(name[m.end():end])
        pos = end
        if not nested:
            break
        if name.startswith("E", pos):
            pos += 1
            break
    if _BUILTIN_TYPES.fullmatch(name, pos) is None:
        return name
    return "::".join(parts)
