"""The command line on a bad day: every failure is one line, ``splatkit: ...``, exit status 2.

Through ``main([...])`` in this process (standard streams replaced), and, for what only a
real process has (a closed file descriptor, a pipe whose reader left), in a subprocess.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys

import pytest

from splatkit import cli
from splatkit.cli import main


def one_error(capsys) -> str:
    """The one line main() wrote to standard error (and nothing on standard output)."""
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("splatkit: ") and "Traceback" not in err
    return line


# -- output ----------------------------------------------------------------------------------

@pytest.mark.parametrize("where, why", [
    ("dir-as-file", "cannot write the report: Is a directory; it is a directory: give a file name in it"),
    ("file-as-dir", "cannot write the report: Not a directory; a part of the path is a file, not a directory"),
    ("missing-dir", "cannot write the report: No such file or directory; create its directory first"),
])
def test_an_unwritable_report_path(tmp_path, capsys, where, why):
    (tmp_path / "a-file").write_text("x")
    path = {"dir-as-file": tmp_path, "file-as-dir": tmp_path / "a-file" / "r.html",
            "missing-dir": tmp_path / "no" / "r.html"}[where]
    assert main(["report", "-o", str(path)]) == 2
    line = one_error(capsys)
    assert line.startswith(f"splatkit: {path}: {why}") and line.endswith("(or -o - for standard output)")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk(capsys):
    assert main(["report", "-o", "/dev/full"]) == 2
    assert one_error(capsys) == ("splatkit: /dev/full: cannot write the report: No space left on device; free some "
                                 "space or write somewhere else (or -o - for standard output)")


def test_a_report_cut_short_by_a_full_disk_is_removed(tmp_path, capsys, monkeypatch):
    path = tmp_path / "r.html"
    real_open = open

    class Full(io.StringIO):
        def write(self, text):
            real_open(path, "a").write(text[:100])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("builtins.open", lambda p, *a, **k: Full() if str(p) == str(path) else real_open(p, *a, **k))
    assert main(["report", "-o", str(path)]) == 2
    assert "No space left on device" in one_error(capsys)
    assert not path.exists()


class _Failing(io.TextIOWrapper):
    """Standard output whose writes fail with ``error``."""

    def __init__(self, error: OSError) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8")
        self.error = error

    def write(self, text):
        raise self.error


@pytest.mark.parametrize("error, message", [
    (BrokenPipeError(errno.EPIPE, "Broken pipe"),
     "splatkit: <stdout>: the program reading standard output exited before the output ended (a pipe into "
     "head?); the output is cut short: write it to a file to keep it all"),
    (OSError(errno.ENOSPC, "No space left on device"),
     "splatkit: <stdout>: cannot write standard output: No space left on device; free some space or write "
     "somewhere else"),
])
@pytest.mark.parametrize("command", [["json", "-q"], ["explain"], ["report", "-o", "-"]])
def test_standard_output_that_fails(seed_path, capsys, monkeypatch, error, message, command):
    monkeypatch.setattr(sys, "stdout", _Failing(error))
    assert main([*command, str(seed_path)]) == 2
    assert capsys.readouterr().err == message + "\n"


def test_standard_output_closed(seed_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["json", str(seed_path)]) == 2
    assert capsys.readouterr().err == ("splatkit: <stdout>: standard output is closed; redirect it to a file "
                                       "(splatkit json FILE > out.json), or give report -o FILE\n")


# -- input -----------------------------------------------------------------------------------

def test_standard_input_closed(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["json", "-"]) == 2
    assert one_error(capsys) == ("splatkit: <stdin>: standard input is closed; give a FILE, or pipe a log in: "
                                 "splatkit json - < console.log")


def test_standard_input_that_cannot_be_read(capsys, monkeypatch):
    class Unreadable(io.TextIOWrapper):
        def __init__(self) -> None:
            super().__init__(io.BytesIO())

        @property
        def buffer(self):
            raise OSError(errno.EBADF, "Bad file descriptor")

    monkeypatch.setattr(sys, "stdin", Unreadable())
    assert main(["json", "-"]) == 2
    assert one_error(capsys) == ("splatkit: <stdin>: cannot read standard input: Bad file descriptor; give a FILE "
                                 "instead")


def test_input_too_big_to_parse_at_once_points_to_scan(tmp_path, seed_text, capsys, monkeypatch):
    path = tmp_path / "big.log"
    text = "[    1.000000] unrelated line of a console log\n" * 66_000 + seed_text  # 3 MB
    path.write_text(text)
    assert main(["json", "--max-mb", "1", str(path)]) == 2
    assert one_error(capsys) == (f"splatkit: {path}: 3.0 MB is more than the 1 MB splatkit parses at once "
                                 "(--max-mb); for a big console log use 'splatkit scan FILE' (or "
                                 "splatkit.scan.scan(path) from Python), which reads it in chunks, or raise --max-mb")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["json", "--max-mb", "1", "-"]) == 2  # (standard input is read to the cap and one byte more)
    assert one_error(capsys).startswith("splatkit: <stdin>: the input is more than the 1 MB splatkit parses at once")
    assert main(["explain", "--max-mb", "4", str(path)]) == 0
    assert cli.MAX_INPUT_MB == 256


def test_running_out_of_memory(seed_path, capsys, monkeypatch):
    def exhausted(text):
        raise MemoryError

    monkeypatch.setattr(cli, "parse", exhausted)
    assert main(["json", str(seed_path)]) == 2
    assert one_error(capsys) == (f"splatkit: {seed_path}: out of memory parsing 0 MB; for a big console log use "
                                 "'splatkit scan FILE' (or splatkit.scan.scan(path) from Python), which reads it in "
                                 "chunks")


def test_a_bad_size_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["json", "--max-mb", "lots", "x"])
    assert exit_.value.code == 2
    assert "argument --max-mb: expected a whole number of megabytes above 0, got 'lots'" in capsys.readouterr().err


# -- in a real process ------------------------------------------------------------------------------

def _splatkit(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "splatkit", *args], stderr=subprocess.PIPE, **kwargs)


def test_a_pipe_whose_reader_left(seed_path):
    """``splatkit json seed | head -c1``, with the reader gone before the first write."""
    child = _splatkit("json", str(seed_path), stdout=subprocess.PIPE)
    child.stdout.close()
    assert child.wait(timeout=120) == 2
    assert child.stderr.read().decode() == (
        "splatkit: <stdout>: the program reading standard output exited before the output ended (a pipe into "
        "head?); the output is cut short: write it to a file to keep it all\n")  # (no 'Exception ignored' after it)


@pytest.mark.parametrize("fd, message", [
    (0, "splatkit: <stdin>: standard input is closed; give a FILE, or pipe a log in: splatkit json - < console.log"),
    (1, "splatkit: <stdout>: standard output is closed; redirect it to a file (splatkit json FILE > out.json), "
        "or give report -o FILE"),
])
def test_a_closed_standard_stream(seed_path, fd, message):
    child = _splatkit("json", "-" if fd == 0 else str(seed_path), preexec_fn=lambda: os.close(fd))
    assert child.wait(timeout=120) == 2
    assert child.stderr.read().decode() == message + "\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_standard_output_on_a_full_disk(seed_path):
    with open("/dev/full", "wb") as full:
        child = _splatkit("explain", stdout=full)
        assert child.wait(timeout=120) == 2
    assert child.stderr.read().decode() == ("splatkit: <stdout>: cannot write standard output: No space left on "
                                            "device; free some space or write somewhere else\n")


def test_no_standard_error_either(tmp_path):
    """With standard error closed too, an error still ends with status 2 (and writes nowhere)."""
    result = subprocess.run([sys.executable, "-m", "splatkit", "json", str(tmp_path / "nope.txt")],
                            capture_output=False, stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2),
                            timeout=120)
    assert result.returncode == 2 and result.stdout == b""
