"""pytest configuration for the doctests in splatkit's modules (as networkx does).

Doctests see ``seed_text`` (the bundled seed splat), ``parse``, ``LockGraph`` and
``splatkit``, so that examples stay one or two lines.
"""

import pytest


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    import splatkit
    from splatkit.graph import LockGraph
    from splatkit.samples import sample_text

    doctest_namespace.update(seed_text=sample_text(), parse=splatkit.parse, LockGraph=LockGraph,
                             splatkit=splatkit)
