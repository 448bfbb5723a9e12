"""``python -m nnscratch.cli``: the same as the ``nnscratch`` command."""

import sys

from nnscratch.cli import main

sys.exit(main())
