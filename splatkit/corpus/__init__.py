"""Corpus scans: every lockdep report in many logs, grouped by syzbot title, on Dask.

:func:`scan_corpus` (also :func:`splatkit.scan.scan_corpus`) is the entry point; ``splatkit
scan`` is its command. One job per module:

- :mod:`.logs` finds the logs (files, directories, globs, URLs) and opens them (plain or
  compressed);
- :mod:`.when` dates a report (a wall-clock time on its lines, else the file's time);
- :mod:`.perlog` scans one log into a small partial, never raising for a bad log;
- :mod:`.partial` is that partial and the merge of partials, in any order;
- :mod:`.engine` splits the corpus into tasks and runs them here, on a local Dask
  scheduler or on a Dask cluster, merging in a tree;
- :mod:`.progress` draws the progress bar (tqdm: on a terminal, or as a notebook widget).
"""

from .engine import CorpusScan, Progress, scan_corpus
from .partial import Group, Partial, Problem, merge_parts
from .perlog import scan_log

__all__ = ["CorpusScan", "Group", "Partial", "Problem", "Progress", "merge_parts", "scan_corpus", "scan_log"]
