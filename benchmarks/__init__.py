"""Side-by-side benchmarks of cstheory (not part of the installed package); run ``python benchmarks/run.py``."""
