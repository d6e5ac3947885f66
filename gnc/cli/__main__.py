"""python -m gnc.cli: the gnc command."""
import sys

from gnc.cli import main

sys.exit(main())
