"""``python -m cstheory`` runs the command line (see :mod:`cstheory.cli`)."""
import sys

from .cli import main

sys.exit(main())
