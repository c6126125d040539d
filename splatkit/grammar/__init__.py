"""The kernel's text formats, written as data.

One module per grammar: ``wrappers`` (what surrounds console lines), ``locks``
(the lock-name grammar), ``frames`` (the stack-frame grammar), ``sections`` (the
line rules of each report section) and ``kinds`` (one entry per report kind).
"""
