"""``python -m splatkit`` runs the command line."""

import sys

from .cli import main

if __name__ == "__main__":  # (a worker process that re-imports the main module runs nothing)
    sys.exit(main())
