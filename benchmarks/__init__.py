"""Benchmarks of logprov: capture overhead, file identity, log reading and export, memory,
and other provenance tools side by side.

Run ``python -m benchmarks`` (see ``benchmarks/README.md``).
"""
