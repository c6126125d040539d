"""Cut points of a log (splatkit.cuts): the scanner's regions normalise as the whole text does.

Two properties make scan() equal parse(): the encoding sniffer, fed a text in pieces,
takes normalize's whole-text decisions; and normalising from a reset line (with the lead
lines that spell those decisions) gives the whole text's lines from there on.
"""

from __future__ import annotations

import quopri
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, corpus_files, read_log
from splatkit.cuts import Encodings, EncodingSniffer, is_reset_line, lead_lines
from splatkit.encodings import is_quoted_printable, is_utf7
from splatkit.lines import normalize, split_lines
from splatkit.samples import sample_text
from test_lines import WRAPS, _case_text, _kern_cont_49

#: The wrappers whose reset lines the equivalence test walks (every kind of line state).
_WRAP_NAMES = ["quoted-printable", "quoted-printable-mail", "utf-7", "hard-wrap", "rsyslog-012",
               "collapsed-newlines", "commit-indent", "quote-2", "crlf", "journal-short-precise"]


def _soft_broken_records(seed: str) -> str:
    """A quoted-printable mail whose soft breaks fall just before a printk timestamp: the
    input line after each break starts like a record, but is the rest of the line before."""
    lines = [line if i % 3 else "[ 0.5] " + "a" * 68 + line for i, line in enumerate(seed.split("\n"))]
    return quopri.encodestring("\n".join(lines).encode()).decode()


def _texts() -> list[tuple[str, str]]:
    seed = sample_text()
    texts = [("seed", seed)] + [(f"seed/{name}", WRAPS[name][0](seed)) for name in _WRAP_NAMES]
    texts.append(("seed/soft-broken-records", _soft_broken_records(seed)))
    # Locks printed one printk() per line (4.9-4.10): a join runs across lines that start records.
    for path in sorted((Path(__file__).parent / "cases").glob("*.splat")):
        pieces = _kern_cont_49(_case_text(path))
        if pieces != _case_text(path):
            texts.append((f"{path.stem}/kern-cont", pieces))
    # A spread of the corpus (every 6th file), plain and wrapped.
    for i, name in enumerate(corpus_files()[::6]):
        log = read_log(CORPUS / "report" / name)
        wrap = _WRAP_NAMES[i % len(_WRAP_NAMES)]
        texts += [(name, log), (f"{name}/{wrap}", WRAPS[wrap][0](log))]
    return texts


_TEXTS = _texts()


def _sniff(text: str, rng: random.Random) -> Encodings:
    """The sniffer's answer on ``text`` fed in random pieces of whole lines."""
    data = text.encode()
    sniffer = EncodingSniffer()
    at = 0
    while at < len(data):
        end = data.find(b"\n", min(at + rng.randint(0, 400), len(data)))
        end = len(data) if end == -1 else end + 1
        sniffer.feed(data, at, end) if rng.random() < 0.5 else sniffer.feed(data[at:end])
        at = end
    return sniffer.result()


@pytest.mark.parametrize("name, text", _TEXTS, ids=[name for name, _ in _TEXTS])
def test_the_sniffer_decides_as_normalize(name, text):
    want = Encodings(is_quoted_printable(text), is_utf7(text))
    assert _sniff(text, random.Random(name)) == want
    if name.endswith(("/quoted-printable", "/quoted-printable-mail")):
        assert want.quoted_printable
    if name.endswith("/utf-7"):
        assert want.utf7


#: Lines whose mix of ``=`` at an encoder's width, escapes, headers and UTF-7 runs puts texts
#: near every threshold of the two whole-text decisions.
_QP_LINE = st.one_of(
    st.builds(lambda n, end: "x" * n + end, st.integers(70, 78), st.sampled_from(["=", "==", "=\r", "= "])),
    st.sampled_from(["a=3Db", "=3D", "Content-Transfer-Encoding: quoted-printable",
                     "content-transfer-encoding:\tQuoted-Printable\r", "=", "+AF8-x", "+AFs-1+AF0-",
                     "f+0x16f/0x3f0", "", "\u00e9" * 73 + "=", "plain line"]),
)


@given(st.lists(_QP_LINE, max_size=12), st.booleans(), st.randoms())
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
def test_the_sniffer_decides_as_normalize_near_the_thresholds(lines, final_newline, rng):
    text = "\n".join(lines) + ("\n" if final_newline and lines else "")
    assert _sniff(text, rng) == Encodings(is_quoted_printable(text), is_utf7(text))


def _reset_lines(lines: list[str], encodings: Encodings) -> list[int]:
    return [i for i in range(1, len(lines)) if is_reset_line(lines[i], lines[max(i - 40, 0):i], encodings)]


@pytest.mark.parametrize("name, text", _TEXTS, ids=[name for name, _ in _TEXTS])
def test_normalising_from_a_reset_line_gives_the_whole_texts_lines(name, text):
    """The scanner's cut: from any reset line on (lead lines first when the text is decoded
    as a whole), normalize gives exactly the whole text's lines."""
    encodings = Encodings(is_quoted_printable(text), is_utf7(text))
    raws = text.split("\n")
    whole = normalize(text)
    resets = _reset_lines(raws, encodings)
    lead = lead_lines(encodings) + ([""] if encodings.any else [])
    for i in resets if len(resets) <= 200 else random.Random(name).sample(resets, 200):
        no = i + 1
        region = normalize("\n".join(lead + raws[i:]), first_line=no - len(lead))
        assert [line for line in region if line.no >= no] == [line for line in whole if line.no >= no], \
            f"{name}: line {no} is no reset line"


def test_console_logs_have_reset_lines():
    """The scanner can cut a console log (and so hold little of it) at most of its lines."""
    logs = [sample_text()] + [read_log(CORPUS / "report" / name) for name in corpus_files()]
    for text in logs + [WRAPS[name][0](logs[0]) for name in _WRAP_NAMES if name not in (
            "collapsed-newlines", "commit-indent")]:  # (no line of those starts with a record prefix)
        encodings = Encodings(is_quoted_printable(text), is_utf7(text))
        raws = text.split("\n")
        prefixed = sum(1 for line in normalize(text) if line.wrappers and not line.continuation)
        if prefixed > len(raws) / 2:
            assert len(_reset_lines(raws, encodings)) > prefixed / 3, text[:200]


def test_lines_a_join_may_cross_are_no_reset_lines():
    plain = Encodings()
    assert is_reset_line("[ 1.0] x", ["[ 0.9] y"], plain)
    assert is_reset_line("Nov 25 09:26:38 host kernel: [ 1.0] x", [], plain)
    # Not a record's start: a continuation line, the kernel's own indentation, a commit's.
    assert not is_reset_line("which lock already depends on the new lock.", [], plain)
    assert not is_reset_line("    [ 1.0] indented in a commit message", [], plain)
    # 4.9-4.10 printed a lock one printk() per line: a join may run across a record's start.
    fragments = ["[ 1.0] -> #1", "[ 1.0]  (", "[ 1.0] &kvm->lock"]
    assert not is_reset_line("[ 1.0] ){+.+.}", fragments, plain)
    assert not is_reset_line("[ 1.0] (", [], plain)
    # A quoted-printable soft break joins the next input line onto this one.
    qp = Encodings(quoted_printable=True)
    assert not is_reset_line("[ 1.0] x", ["[ 0.9] " + "y" * 60 + "="], qp)
    assert is_reset_line("[ 1.0] x", ["[ 0.9] " + "y" * 60 + "=3D"], qp)
    # UTF-7 spells the timestamp's brackets.
    assert is_reset_line("+AFs- 1.0+AF0- x", [], Encodings(utf7=True))
    assert not is_reset_line("+AFs- 1.0+AF0- x", [], plain)


def test_lead_lines_spell_the_decisions_and_nothing_else():
    for encodings in (Encodings(True, False), Encodings(False, True), Encodings(True, True)):
        text = "\n".join([*lead_lines(encodings), "", "[ 1.0] a+AF8-b=3Dc"])
        assert Encodings(is_quoted_printable(text), is_utf7(text)) == encodings
        lines = normalize(text)
        assert not any(line.caller or line.continuation for line in lines)
        assert lines[-1].no == len(split_lines(text))
    assert lead_lines(Encodings()) == []
