"""The tests of the compiled build run where it is installed, or where CI asks for it.

``LOGPROV_EXPECT_COMPILED=1`` (set by ``.ci/run`` for its run on the compiled wheel) makes them
run, and fail, on an installation that is not compiled.
"""

import os

from logprov.compiled import compiled_modules

if not compiled_modules() and os.environ.get("LOGPROV_EXPECT_COMPILED") != "1":
    collect_ignore_glob = ["test_*.py"]
