"""The scanner gives the same splats as parse(), whatever the chunk size."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import splatkit
from splatkit.scan import scan


def _dicts(splats):
    return [s.to_dict() for s in splats]


def test_scan_a_path(tmp_path, seed_text):
    path = tmp_path / "console.log"
    path.write_text("boot line\n" * 1000 + seed_text + "shutdown\n" * 1000)
    (splat,) = scan(path)
    assert splat.span.first_line == 1001
    assert splat.cycle == ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk=st.integers(min_value=40, max_value=5000), noise=st.integers(min_value=0, max_value=50),
       copies=st.integers(min_value=1, max_value=3))
def test_scan_matches_parse_on_the_seed(seed_text, chunk, noise, copies):
    text = ("[    1.000000] unrelated =====\n" * noise + seed_text) * copies
    expected = _dicts(splatkit.parse(text))
    assert len(expected) == copies
    assert _dicts(scan(io.BytesIO(text.encode()), chunk_size=chunk)) == expected


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_scan_matches_parse_on_the_corpus(corpus_dir, data):
    from test_corpus import read_log

    names = sorted(p.name for p in (corpus_dir / "report").iterdir())
    picked = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
    chunk = data.draw(st.sampled_from([97, 1000, 1 << 16]))
    log = "\n".join(read_log(corpus_dir / "report" / name) for name in picked)
    assert _dicts(scan(io.BytesIO(log.encode()), chunk_size=chunk)) == _dicts(splatkit.parse(log))


def test_locate_finds_every_banner_parse_finds(corpus_dir):
    """locate() (anchors found by shared searches, see scan._search_keys) finds the banner
    of every report parse() finds, at every chunk size, on all corpus logs in one file."""
    from splatkit.scan import locate
    from test_corpus import read_log

    log = "\n".join(read_log(path) for path in sorted((corpus_dir / "report").iterdir()))
    expected = [(s.kind, next(line.no for line in s.lines if s.banner in line.text)) for s in splatkit.parse(log)]
    assert {kind for kind, _ in expected} >= {"circular", "bad_unlock", "inconsistent_state"}
    for chunk in (4096, 1 << 16, 8 << 20):
        assert [(r.kind, r.line_no) for r in locate(io.BytesIO(log.encode()), chunk_size=chunk)] == expected
