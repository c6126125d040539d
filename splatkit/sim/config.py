"""The kernel configuration a simulation assumes: the options that change what lockdep checks.

>>> Config().queued_rwlocks, Config(preempt_rt=True).queued_rwlocks
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Config"]


@dataclass(frozen=True)
class Config:
    """Options of the simulated kernel (``PROVE_LOCKING`` is always on)."""

    raw_lock_nesting: bool = True
    """``CONFIG_PROVE_RAW_LOCK_NESTING``: ``spinlock_t`` may not nest inside a ``raw_spinlock_t``
    (it sleeps on PREEMPT_RT). On with PROVE_LOCKING since 6.13; off, CONFIG equals SPIN."""
    preempt_rt: bool = False
    """``CONFIG_PREEMPT_RT``: no queued rwlocks, so every ``read_lock()`` is a recursive reader."""
    wait_context: bool = True
    """Whether the wait-context check exists (5.7+; eras without wait types have none)."""
    force_read_lock_recursive: bool = False
    """The self-test's ``force_read_lock_recursive``: every ``read_lock()`` recursive."""

    @property
    def queued_rwlocks(self) -> bool:
        """``CONFIG_QUEUED_RWLOCKS`` (x86-64 SMP, not on PREEMPT_RT): a process-context
        ``read_lock()`` queues behind a waiting writer, so it is not recursive."""
        return not self.preempt_rt
