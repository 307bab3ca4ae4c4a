"""``python -m repgeom`` runs the CLI."""

import sys

from repgeom.cli import main

sys.exit(main())
