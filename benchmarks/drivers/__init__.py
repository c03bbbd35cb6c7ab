"""Scripts measuring one provenance tool each, run by the Python of the tool's own venv.

Each script takes one argument, a JSON object with ``calls`` and ``folder``, makes ``calls``
calls of the same workload traced by its tool in one session, timing each call and an untraced
call next to it, and prints its result with `common.emit`.
"""
