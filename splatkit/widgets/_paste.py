"""``paste()``: a text area to paste any log into, the reports found in it, and one explored.

The way a kernel developer starts: copy a console log, a mail or a syzbot page, paste it,
press *Read*. Every report :func:`splatkit.parse` finds is listed (kind, title, the lines it
spans); the picked one opens in an :class:`~splatkit.widgets.Explorer` below, with what the
parser could not read or had to guess above its graph. Problems are shown inline, as text
(escaped), never as a traceback: a paste with no report names the lines it looked at.

>>> view = paste()                        # doctest: +SKIP
>>> view.text = open("dmesg.txt").read()  # doctest: +SKIP
>>> view.read.click(); view.pick(0)       # doctest: +SKIP
>>> view.explorer.selected_edge           # doctest: +SKIP
"""

from __future__ import annotations

import html

import ipywidgets

from .. import parse
from ..errors import SplatkitError
from ..model import Splat
from ._explore import Explorer

__all__ = ["PasteView", "paste"]

#: What the text area says while it is empty.
PLACEHOLDER = ("Paste a kernel log, a console log or a mail holding a lockdep report "
               "(from its '=====' line to the end of its backtrace), then press Read.")
#: The rows the report list shows at most before it scrolls.
LIST_ROWS = 6


def report_label(i: int, splat: Splat) -> str:
    """The report list's entry for ``splat``: number, kind, title, lines.

    The list shows it as text (an ``<option>``'s text), so names need no escaping here.
    """
    title = splat.title or splat.banner
    return f"{i + 1}. {splat.kind}: {title} (lines {splat.span.first_line}-{splat.span.last_line})"


class PasteView(ipywidgets.VBox):
    """A text area, a *Read* button, the reports found, and the picked one explored.

    Attributes
    ----------
    textarea : ipywidgets.Textarea
        Where the text is pasted; :attr:`text` is its value.
    read : ipywidgets.Button
        Parses the text (``view.read.click()`` does the same from Python).
    reports : tuple of Splat
        The reports found by the last *Read*, in input order.
    choices : ipywidgets.Select
        The reports as a list (:func:`report_label`); picking one explores it.
    message : ipywidgets.HTML
        What went wrong (no report found, an error with its line) or how many reports were
        found, escaped.
    error : str
        The problem shown in :attr:`message`, as plain text; ``""`` when there is none.
    explorer : Explorer or None
        The picked report explored; ``None`` until a report is picked.
    """

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.textarea = ipywidgets.Textarea(value=text, placeholder=PLACEHOLDER,
                                            layout=ipywidgets.Layout(width="100%", height="160px"))
        self.textarea.add_class("splatkit-paste-text")
        self.read = ipywidgets.Button(description="Read", button_style="primary", icon="search",
                                      tooltip="find the lockdep reports in the text")
        self.read.add_class("splatkit-paste-read")
        self.read.on_click(lambda _button: self.read_text())
        self.choices = ipywidgets.Select(options=[], rows=LIST_ROWS, layout=ipywidgets.Layout(width="100%"))
        self.choices.add_class("splatkit-paste-reports")
        self.choices.observe(self._on_choice, names="value")
        self.message = ipywidgets.HTML()
        self.message.add_class("splatkit-paste-message")
        self.result = ipywidgets.VBox(layout=ipywidgets.Layout(width="100%"))
        self.reports: tuple[Splat, ...] = ()
        self.error = ""
        self.explorer: Explorer | None = None
        self.children = [self.textarea, self.read, self.message, self.result]

    @property
    def text(self) -> str:
        """The pasted text (the text area's value); settable."""
        return self.textarea.value

    @text.setter
    def text(self, value: str) -> None:
        self.textarea.value = value

    def read_text(self) -> None:
        """Find the reports in :attr:`text`, list them, and explore the first."""
        self.reports, self.explorer, self.error = (), None, ""
        self.result.children = []
        self.choices.unobserve(self._on_choice, names="value")
        self.choices.options = []
        self.choices.observe(self._on_choice, names="value")
        text = self.text
        try:
            self.reports = tuple(parse(text))
        except SplatkitError as err:  # every error a user can meet says where
            self._fail(f"pasted text: {err}")
            return
        except Exception as err:  # noqa: BLE001 - a bug must not leave a traceback in the view
            self._fail(f"pasted text: splatkit could not read it ({type(err).__name__}: {err}); "
                       "please report this with the text")
            return
        if not self.reports:
            n = len(text.splitlines())
            where = f"lines 1-{n}" if n > 1 else "line 1" if n else "the text area"
            self._fail(f"pasted text, {where}: no lockdep report found; expected a banner such as "
                       "'WARNING: possible circular locking dependency detected'. Paste the whole "
                       "report, from its '=====' line to the end of its backtrace."
                       if n else "Nothing pasted yet: paste a log holding a lockdep report, then press Read.")
            return
        found = len(self.reports)
        self.message.value = (f'<p class="sk-note">{found} report{"s" if found > 1 else ""} found'
                              f'{"; pick one to explore it" if found > 1 else ""}.</p>')
        self.children = [self.textarea, self.read, self.message, *([self.choices] if found > 1 else []),
                         self.result]
        self.choices.rows = min(max(found, 2), LIST_ROWS)
        self.choices.options = [(report_label(i, s), i) for i, s in enumerate(self.reports)]
        self.choices.value = 0  # explores it (_on_choice)
        if self.explorer is None:  # value was already 0: nothing changed, explore now
            self.pick(0)

    def pick(self, i: int) -> Explorer:
        """Explore report ``i`` of :attr:`reports` (as picking it in the list does)."""
        if not 0 <= i < len(self.reports):
            raise IndexError(f"pick({i}): there are {len(self.reports)} reports; "
                             "paste a log and press Read first" if not self.reports else
                             f"pick({i}): use 0 to {len(self.reports) - 1}")
        if self.choices.value != i and i in dict(self.choices.options).values():
            self.choices.value = i  # comes back here through _on_choice
            assert self.explorer is not None
            return self.explorer
        try:
            self.explorer = Explorer([self.reports[i]])
        except SplatkitError as err:
            self._fail(f"report {i + 1}: {err}")
            raise
        self.result.children = [self.explorer]
        return self.explorer

    def _on_choice(self, change) -> None:
        if change["new"] is not None:
            self.pick(change["new"])

    def _fail(self, text: str) -> None:
        self.error = text
        self.message.value = f'<p class="sk-error">{html.escape(text)}</p>'
        self.children = [self.textarea, self.read, self.message, self.result]


def paste(text: str = "") -> PasteView:
    """A text area to paste a log into; press *Read* to list its reports and explore one.

    ``text`` fills the text area (and is read at once when it is not empty).
    """
    view = PasteView(text)
    if text:
        view.read_text()
    return view
