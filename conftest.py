"""Collection rules for ``python -m pytest`` run from the repository root (see setup.cfg).

The doctests of the package are collected with ``--doctest-modules``; ``cstheory/__main__.py``
runs the command line when it is imported, so it is not collected.
"""
collect_ignore = ["cstheory/__main__.py", "docs", "benchmarks"]
