"""``python -m splatkit.cli`` runs the command line (as ``python -m splatkit`` does)."""

import sys

from . import main

if __name__ == "__main__":  # (importing the module runs nothing)
    sys.exit(main())
