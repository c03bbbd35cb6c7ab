"""Entry point of a measuring process: ``python -m benchmarks.worker module:function PARAMS``."""

from __future__ import annotations

import importlib
import json
import sys

from .isolation import emit_result, peak_rss


def main(argv: list[str]) -> None:
    """Call the function named by ``argv[0]`` with the JSON keyword arguments ``argv[1]``."""
    module_name, _, function_name = argv[0].partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(**json.loads(argv[1]))
    result.setdefault("peak_rss", peak_rss())
    emit_result(result)


if __name__ == "__main__":
    main(sys.argv[1:])
