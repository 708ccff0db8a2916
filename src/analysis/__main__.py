"""``python -m analysis``: see :mod:`analysis.cli`."""

import gc

from analysis.cli import main

status = main()
# On the way out the interpreter collects garbage over every object still alive: 0.4 s
# after a build, with pandas, scipy and the report modules loaded. Frozen objects are left
# alone; the process ends anyway, and files are already closed and renamed.
gc.freeze()
raise SystemExit(status)
