"""Views that need no Jupyter: plain text, Markdown, self-contained HTML, and the view-model
that every drawing of the lock graph (widget or HTML) is made from."""
