"""How the local scheduler's worker processes start, and whether they can: the main script
must not start them again.

:func:`start_method` forks them when that is safe (Linux, a process of one thread) and
otherwise spawns them, as Dask does by default. ``spawn`` imports the main script again in
each new process. A script that calls :func:`~splatkit.corpus.scan_corpus` at its
top level, not under ``if __name__ == "__main__":``, would call it again in every worker
as the worker starts; Python stops that, the worker dies, and the scan ends with a
``BrokenProcessPool`` that names neither cause nor cure. :func:`unguarded_caller` finds that
situation before any process is started, so that the error can say what to do.

>>> unguarded_caller() is None  # (doctests run under pytest, whose main module has its guard)
True
"""

from __future__ import annotations

import ast
import os
import sys
from types import FrameType

__all__ = ["start_method", "unguarded_caller", "unguarded_message"]


def start_method() -> str:
    """The multiprocessing start method for the local scheduler's worker processes.

    Dask's own ``multiprocessing.context`` setting when it is set; else ``fork`` on Linux in
    a process that runs one thread, native threads counted (the ``splatkit scan`` command, a
    script), because a forked worker starts at once with splatkit imported, where a spawned
    one starts a fresh interpreter that imports it again (0.3 s before its first task, and
    each worker's CPU for the imports); else ``spawn``, Dask's default, because forking a
    process that runs other threads (a Jupyter kernel) can leave a lock held forever in the
    child.
    """
    try:
        import dask
    except ImportError:
        dask = None
    chosen = dask.config.get("multiprocessing.context", None) if dask is not None else None
    if chosen:
        return str(chosen)
    return "fork" if sys.platform == "linux" and _threads() == 1 else "spawn"


def _threads() -> int:
    """Threads this process runs, native ones included (a library's thread pool is as unsafe
    to fork as a Python thread; Linux lists them all in /proc)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 2  # (not known: as unsafe as any)


def unguarded_caller(method: str | None = None) -> tuple[str, int] | None:
    """(path, line) of the main script's top-level statement that this call runs under, when
    that statement is outside ``if __name__ == "__main__":`` (or any ``if`` that tests
    ``__name__``) and new processes would import the script again (any start method but
    ``fork``); else None.

    None too when the main module has no file (``python -c``, a notebook, the REPL) or its
    source cannot be read: then nothing is known, and nothing is said.
    """
    method = method or start_method()
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if method == "fork" or not path:
        return None
    frame = _main_module_frame(os.path.realpath(path))
    if frame is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None
    line = frame.f_lineno
    for node in tree.body:
        if isinstance(node, ast.If) and _tests_name(node.test) and node.lineno <= line <= (node.end_lineno or line):
            return None
    return path, line


def unguarded_message(path: str, line: int, what: str) -> str:
    """The error for :func:`unguarded_caller`'s answer: what happens, and what to do."""
    return (f"{what} needs worker processes, and {path}, line {line}, would start them again in each of "
            f"them: each worker imports the main script as it starts. Put the code that runs the scan "
            f"under `if __name__ == \"__main__\":` (a script's usual guard), or pass workers=1 to scan "
            f"in this process")


def _main_module_frame(path: str) -> FrameType | None:
    """The frame running the main script's top level, if this call comes from there."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if (code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__"
                and os.path.realpath(code.co_filename) == path):
            return frame
        frame = frame.f_back
    return None


def _tests_name(test: ast.expr) -> bool:
    """Whether ``test`` looks at ``__name__``: ``if __name__ == "__main__":`` and any other
    spelling of the guard (one that does not guard is left to the engine's own error)."""
    return any(isinstance(node, ast.Name) and node.id == "__name__" for node in ast.walk(test))
