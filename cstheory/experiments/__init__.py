"""One module per figure of the paper (floor 6): data first, plot second.

Each ``figN`` module has ``run(quick=False, ...)``, which computes and returns a
dataclass of NumPy arrays without drawing, and ``plot(result, path=None)``,
which draws that result with matplotlib (Agg), optionally saves it, and
returns the Figure.  Import a figure module directly, e.g.
``from cstheory.experiments import fig3``.
"""
