"""The static rendering every splatkit widget output carries as ``text/html``.

A widget output is a mimebundle: JupyterLab, Notebook 7 and Voila draw the
``application/vnd.jupyter.widget-view+json`` part (the live view, or its saved state when
the notebook kept it); nbconvert, GitHub and nbviewer fall back to ``text/html``. Each
widget says what that fallback shows with ``static_html()`` (built by
:func:`splatkit.render.snapshot.snapshot_html`, every name escaped).
"""

from __future__ import annotations

from typing import Any

__all__ = ["StaticFallback"]


class StaticFallback:
    """Mixin for ipywidgets: ``_repr_mimebundle_`` adds ``static_html()`` as ``text/html``."""

    def static_html(self) -> str:  # pragma: no cover - every widget defines it
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        # ipywidgets returns the data; anywidget returns (data, metadata).
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None:
            data["text/html"] = self.static_html()
        return bundle
