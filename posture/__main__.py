"""``python -m posture …`` = the ``posture`` command."""

import sys

from posture.cli import main

sys.exit(main())
