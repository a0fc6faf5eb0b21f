"""`python -m tui.cli` runs the same command as `factory-tui`."""

import sys

from tui.cli import main

sys.exit(main())
