"""``python -m rnnlab.bench``: the harness's command line (``--help`` says what it measures)."""
import sys

from .cli import main

sys.exit(main())
