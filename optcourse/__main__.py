"""Allow ``python -m optcourse ...`` as a synonym for the ``optcourse`` command."""

import sys

from optcourse.cli import main

sys.exit(main())
