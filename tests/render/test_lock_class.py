"""The lock class panel's data (splatkit.render.lock_class), on the seed and on variants of it."""

from __future__ import annotations

import re

import pytest

import splatkit
from splatkit.render.lock_class import lock_class_view


def _view(text: str, name: str) -> dict:
    splats = splatkit.parse(text)
    return lock_class_view(splats, splatkit.LockGraph.from_splats(splats), name)


@pytest.mark.parametrize("name", ["kvm_lock", "&kvm->slots_lock"])
def test_a_mutex_at_3_names_one_wait_type(seed_text, name):
    """A mutex prints {3:3} only on the default scale ({4:4} with raw lock nesting on), so its
    panel names LD_WAIT_SLEEP alone, not two readings."""
    view = _view(seed_text, name)
    assert view["taken"] == ["mutex"]
    assert view["wait"].startswith("3:3: LD_WAIT_SLEEP:LD_WAIT_SLEEP") and "or LD_WAIT_CONFIG" not in view["wait"]


def test_the_raw_nesting_scale_names_the_same_mutex_alike(seed_text):
    """The same report printed by a kernel with raw lock nesting ({4:4} for every sleeping lock)."""
    shifted = re.sub(r"\}-\{3:3\}", "}-{4:4}", seed_text)
    assert shifted != seed_text
    view = _view(shifted, "kvm_lock")
    assert view["wait"] == "LD_WAIT_SLEEP:LD_WAIT_SLEEP (4:4)"
