"""``python -m twinsql``: the same as the ``twinsql`` console script (see ``twinsql.cli``)."""

from __future__ import annotations

import sys

from twinsql.cli import main

if __name__ == "__main__":
    sys.exit(main())
