"""The scanner gives the same splats as parse(), whatever the chunk size, and reads each line about once."""

from __future__ import annotations

import io
import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import splatkit
from conftest import CORPUS, WILD, corpus_files, read_log
from splatkit import scanner
from splatkit.grammar.kinds import match_banner
from splatkit.lines import normalize
from splatkit.parse import MAX_UNRECOGNISED_RUN
from splatkit.parse.extent import MAX_FOREIGN_RUN
from splatkit.scan import locate, scan
from test_lines import WRAPS

CHUNKS = (61, 4096, 1 << 20)


def _dicts(splats):
    return [s.to_dict() for s in splats]


def _banners(text: str) -> list[tuple[str, int]]:
    """(kind, line) of every banner line parse() reads in ``text``."""
    return [(match_banner(line.text)[0].kind, line.no) for line in normalize(text)
            if ":" in line.text and match_banner(line.text) is not None]


def assert_scan_is_parse(text: str, chunks=CHUNKS) -> list[splatkit.Splat]:
    """scan() and locate() of ``text`` as bytes agree with parse() of the whole text."""
    expected = splatkit.parse(text)
    banners = _banners(text)
    assert len(banners) == len(expected)
    for chunk in chunks:
        assert _dicts(scan(io.BytesIO(text.encode()), chunk_size=chunk)) == _dicts(expected), f"chunk {chunk}"
        assert [(r.kind, r.line_no) for r in locate(io.BytesIO(text.encode()), chunk_size=chunk)] == banners
    return expected


class _Counting:
    """Wraps the scanner's ``normalize`` and counts the input lines it is given."""

    def __init__(self, monkeypatch):
        self.lines = 0
        self.largest = 0  # lines of the largest region
        monkeypatch.setattr(scanner, "normalize", self)

    def __call__(self, text, **kwargs):
        lines = text.count("\n") + 1
        self.lines += lines
        self.largest = max(self.largest, lines)
        return normalize(text, **kwargs)


def _with_caller(text: str, caller: str) -> str:
    return re.sub(r"^\[(\s*\d+\.\d+)\]", lambda m: f"[{m.group(1)}][{caller}]", text, flags=re.M)


def test_scan_a_path(tmp_path, seed_text):
    path = tmp_path / "console.log"
    path.write_text("boot line\n" * 1000 + seed_text + "shutdown\n" * 1000)
    (splat,) = scan(path)
    assert splat.span.first_line == 1001
    assert splat.cycle == ("kvm_lock", "&kvm->slots_lock", "&kvm->srcu", "cpu_hotplug_lock")


# -- each line is read about once (issue 9: 400 banners took 7.8 s against 0.05 s for parse) --

@pytest.mark.parametrize("chunk", [97, 4096, scanner.WINDOW_LINES * 100])
def test_400_repeated_banners_are_read_once(seed_text, monkeypatch, chunk):
    rule, banner = seed_text.split("\n")[:2]
    text = "\n".join([rule, banner] * 400) + "\n"
    counting = _Counting(monkeypatch)
    splats = list(scan(io.BytesIO(text.encode()), chunk_size=chunk))
    assert _dicts(splats) == _dicts(splatkit.parse(text))
    assert len(splats) == 400 and {s.kind for s in splats} == {"circular"}
    # A window of 2,000 lines per banner read 400 x 800 lines; a region per cluster reads each once.
    assert counting.lines <= 2 * 800 + 100


def test_a_log_with_many_reports_is_read_about_once(seed_text, monkeypatch):
    text = ("[    1.000000] unrelated line\n" * 50 + seed_text) * 60
    counting = _Counting(monkeypatch)
    assert_scan_is_parse(text, chunks=(4096,))
    n_lines = text.count("\n")
    # (locate reads none of them: every banner is one console line of its own)
    assert counting.lines <= 1.5 * n_lines


def test_reports_far_apart_are_read_in_windows(seed_text, monkeypatch):
    """A big log: only the regions around its banners are normalised, each from a few lines
    before the report to a little after where it ends (splatkit.parse.extent), not 2,000
    lines on as the title once read."""
    noise = "[    1.000000] usb 1-1: new high-speed USB device number 3 using ehci-pci\n" * 20_000
    text = noise + seed_text + noise + seed_text + noise
    counting = _Counting(monkeypatch)
    assert len(list(scan(io.BytesIO(text.encode()), chunk_size=1 << 16))) == 2
    after = scanner.LEAD_LINES + MAX_UNRECOGNISED_RUN + scanner.HINT_SLACK + 2
    assert counting.lines <= 2 * (seed_text.count("\n") + after)


# -- a report the scanner cannot settle at once is read in a longer region ---------------------------

def test_a_report_interleaved_with_another_context(seed_text):
    """With printk caller ids, 3,000 lines of another task in the middle of a report do not end it."""
    lines = _with_caller(seed_text, "T1").split("\n")
    noise = [f"[    9.{i:06d}][    T2] another task's line {i}" for i in range(3000)]
    text = "\n".join(lines[:40] + noise + lines[40:])
    (splat,) = assert_scan_is_parse(text)
    assert splat.span.last_line > 3040 and len(splat.interleaved) == 3000


def test_a_report_ends_after_so_many_lines_of_another_task(seed_text):
    """MAX_FOREIGN_RUN lines of another task in a row end a report (splatkit.parse.extent):
    whether it goes on does not hang on whether its task ever prints again."""
    lines = _with_caller(seed_text, "T1").split("\n")
    for run, ends in ((MAX_FOREIGN_RUN - 1, False), (MAX_FOREIGN_RUN, True)):
        noise = [f"[    9.{i:06d}][    T2] another task's line {i}" for i in range(run)]
        (splat,) = assert_scan_is_parse("\n".join(lines[:40] + noise + lines[40:]), chunks=(4096, 1 << 20))
        assert (splat.span.last_line <= 40) == ends, run


def test_reports_of_many_tasks_are_read_about_once(corpus_dir, monkeypatch):
    """A log where each report is another task's: no report waits for its task to print again
    (up to the log's end, held whole, or MAX_WINDOW bytes and a warning)."""
    text = read_log(corpus_dir / "report" / "466").rstrip("\n")  # every line is task T3699's
    log = "\n".join(re.sub(r"\[ *T3699\]", f"[T{9000 + i}]", text) for i in range(300))
    monkeypatch.setattr(scanner, "MAX_WINDOW", 512 << 10)  # (the log is 2.6 MB)
    counting = _Counting(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        splats = list(scan(io.BytesIO(log.encode()), chunk_size=1 << 16))
    assert _dicts(splats) == _dicts(splatkit.parse(log)) and len(splats) == 300
    assert counting.lines <= 1.5 * (log.count("\n") + 1)
    assert counting.largest <= scanner.REGION_LINES + MAX_FOREIGN_RUN + scanner.HINT_LINES


def test_a_report_across_a_run_of_blank_lines(seed_text):
    lines = seed_text.split("\n")
    (splat,) = assert_scan_is_parse("\n".join(lines[:70] + [""] * 3000 + lines[70:]))
    assert splat.span.last_line > 3070


def test_a_report_still_running_after_max_window_is_given_with_a_warning(seed_text, monkeypatch):
    monkeypatch.setattr(scanner, "MAX_WINDOW", 64 << 10)
    lines = _with_caller(seed_text, "T1").split("\n")
    noise = [f"[    9.{i:06d}][    T2] another task's line {i}" for i in range(8000)]
    text = "\n".join(lines[:40] + noise + lines[40:])
    with pytest.warns(UserWarning, match=r"line 2: circular report still runs 0 MB after its banner"):
        (splat,) = scan(io.BytesIO(text.encode()), chunk_size=4096)
    assert splat.span.first_line == 1 and splat.span.last_line < len(lines) + len(noise)


# -- texts parse() decodes or joins (issue 9: scan dropped these reports) --------------------------

_NOISE = "\n".join(f"[    1.{i:06d}] unrelated line {i} = {i * 7}" for i in range(2500)) + "\n"


@pytest.mark.parametrize("wrap", ["quoted-printable", "quoted-printable-mail", "utf-7", "collapsed-newlines",
                                  "rsyslog-012", "commit-indent", "crlf", "quote-2", "base64-mail",
                                  "dmesg-util-linux", "dmesg-x", "ci-loglevel", "journal-short-monotonic-no-host",
                                  "no-break-spaces", "quoted-printable-split-escapes", "format-flowed"])
def test_encoded_and_wrapped_logs(seed_text, wrap):
    splats = assert_scan_is_parse(WRAPS[wrap][0](_NOISE + seed_text + _NOISE + seed_text))
    assert len(splats) == 2


def test_a_report_cut_at_a_terminals_width_among_longer_lines(seed_text):
    """Whether a terminal cut a report's lines is read from the report's own lines: a longer
    line elsewhere in the log changes nothing, in a paste or in a log read in parts."""
    cut = "\n".join(line if len(line) <= 80 else line[:79] + line[-1] for line in seed_text.split("\n"))
    (splat,) = assert_scan_is_parse("[ 1.000000] " + "y" * 90 + "\n" + _NOISE + cut + "\n" + _NOISE)
    assert any("terminal's width" in note for note in splat.notes)


@pytest.mark.parametrize("name", sorted(p.name for p in (WILD / "splats").glob("*.txt")) or ["(none)"])
def test_the_wild_corpus(name):
    """Every real paste reads the same in parts as whole, amid a console log's lines."""
    if name == "(none)":
        pytest.skip(f"wild corpus not found at {WILD}")
    paste = (WILD / "splats" / name).read_text(encoding="utf-8", errors="replace")
    assert_scan_is_parse(paste)
    assert_scan_is_parse(_NOISE + paste + "\n" + _NOISE)


def test_hard_wrapped_banners(seed_text):
    """A mailer wrapped a journal's lines at 72 columns: the banner is broken in two."""
    text = WRAPS["hard-wrap"][0](WRAPS["journal-short-precise"][0](_NOISE + seed_text))
    assert not any(match_banner(line.split("kernel: ")[-1].strip()) for line in text.split("\n"))
    (splat,) = assert_scan_is_parse(text)
    assert splat.cycle[0] == "kvm_lock"


def test_a_log_without_console_prefixes(seed_text):
    bare = re.sub(r"^\[\s*\d+\.\d+\] ?", "", seed_text, flags=re.M)
    assert len(assert_scan_is_parse(("noise\n" * 2500 + bare) * 3)) == 3


def test_a_pipe(seed_text):
    """A stream that cannot seek is read once (copied aside while its encodings are found)."""
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            chunk = self.data.read(len(b))
            b[:len(chunk)] = chunk
            return len(chunk)

    text = WRAPS["quoted-printable-mail"][0](_NOISE + seed_text)
    assert not Pipe(b"").seekable()
    assert _dicts(scan(io.BufferedReader(Pipe(text.encode())), chunk_size=4096)) == _dicts(splatkit.parse(text))


# -- mutations ---------------------------------------------------------------------------------------

def _sources() -> list[str]:
    from splatkit.samples import sample_text

    return [sample_text()] + [read_log(CORPUS / "report" / name) for name in corpus_files()[::5]]


_SOURCES = _sources()
_ENCODINGS = [None, "quoted-printable", "quoted-printable-mail", "utf-7", "hard-wrap", "rsyslog-012",
              "collapsed-newlines", "crlf", "quote-2", "journal-short-precise", "base64-mail", "dmesg-util-linux",
              "no-break-spaces", "format-flowed"]


@st.composite
def mutated_logs(draw) -> str:
    """Corpus or seed text with lines inserted (from any source), deleted, duplicated, blank runs
    added; then, maybe, encoded or wrapped as a mail, an archive or a logger would."""
    lines = draw(st.sampled_from(_SOURCES)).split("\n")
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "duplicate", "blanks"]))
        i = draw(st.integers(0, len(lines)))
        if op == "insert":
            other = draw(st.sampled_from(_SOURCES)).split("\n")
            j = draw(st.integers(0, len(other) - 1))
            lines[i:i] = other[j:j + draw(st.integers(1, 60))]
        elif op == "delete":
            del lines[i:i + draw(st.integers(1, 10))]
        elif op == "duplicate":
            lines[i:i] = lines[i:i + draw(st.integers(1, 30))] * draw(st.integers(1, 3))
        else:
            lines[i:i] = [""] * draw(st.integers(1, 80))
    text = "\n".join(lines)
    for wrap in draw(st.lists(st.sampled_from(_ENCODINGS), max_size=2)):
        if wrap == "hard-wrap":
            text = WRAPS["journal-short-precise"][0](text)
        text = WRAPS[wrap][0](text) if wrap else text
    return text


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_logs())
def test_scan_and_locate_match_parse_on_mutated_logs(text):
    assert_scan_is_parse(text)


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
    names = sorted(p.name for p in (corpus_dir / "report").iterdir())
    picked = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
    chunk = data.draw(st.sampled_from([97, 1000, 1 << 16]))
    log = "\n".join(read_log(corpus_dir / "report" / name) for name in picked)
    assert _dicts(scan(io.BytesIO(log.encode()), chunk_size=chunk)) == _dicts(splatkit.parse(log))


def test_locate_finds_every_banner_parse_finds(corpus_dir):
    """locate() (anchors found by shared searches, see anchors._search_keys) finds the banner
    of every report parse() finds, at every chunk size, on all corpus logs in one file."""
    log = "\n".join(read_log(path) for path in sorted((corpus_dir / "report").iterdir()))
    expected = [(s.kind, next(line.no for line in s.lines if s.banner in line.text)) for s in splatkit.parse(log)]
    assert {kind for kind, _ in expected} >= {"circular", "bad_unlock", "inconsistent_state"}
    for chunk in (4096, 1 << 16, 8 << 20):
        assert [(r.kind, r.line_no) for r in locate(io.BytesIO(log.encode()), chunk_size=chunk)] == expected
