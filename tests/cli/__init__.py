"""Command-line tests; a package so that its conftest is not imported as the top-level module
``conftest`` (which ``tests/conftest.py`` is, and which tests import helpers from), and so that its
modules may mirror ``splatkit/cli/`` (``cli.test_graph`` beside ``test_graph``)."""
