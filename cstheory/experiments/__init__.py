"""The experiments of the paper (floor 6): one module each, data first, plot second, and one registry.

Every experiment module has

* ``run(quick=False, ...)`` — computes and returns a dataclass of NumPy arrays, without drawing;
* ``plot(result, path=None)`` — draws that result on a :class:`matplotlib.figure.Figure`
  (:mod:`cstheory.plotting`), saves it to ``path`` if given, and returns the figure;
* ``checks(result)`` — the theory checks of the reproduction report, a list of
  :class:`cstheory.report.Check`.

:data:`EXPERIMENTS` is the one registry: the command line (``cstheory reproduce``,
``cstheory figure N``, ``cstheory sweep``), the report and the documentation's paper map
all read it.  An :class:`Experiment` names its module, its title, the objects of the paper
it reproduces, and whether its ``run()`` takes a backend (``xp``) and a ``dtype``.

Examples
--------
>>> from cstheory.experiments import EXPERIMENTS
>>> EXPERIMENTS["fig3"].title
'Fig. 3: kernels and their weights σ (eq. 11)'
>>> EXPERIMENTS["fig3"].backends
False
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

__all__ = ["Experiment", "EXPERIMENTS", "get", "reproducible", "quick_mode", "first_seed", "QUICK_ENV", "SEED_ENV"]

#: the environment variable that asks the tutorials (and the documentation's gallery) for quick mode
QUICK_ENV = "CSTHEORY_QUICK"
SEED_ENV = "CSTHEORY_SEED"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def quick_mode(environ=None) -> bool:
    """Whether ``CSTHEORY_QUICK`` asks for quick mode: the one parser every tutorial uses.

    ``1``, ``true``, ``yes``, ``on`` (any case) mean quick; unset, empty, ``0``, ``false``, ``no``,
    ``off`` mean full; anything else is a ``ValueError`` naming the variable, so a typo never
    silently runs the long version.

    >>> quick_mode({"CSTHEORY_QUICK": "1"}), quick_mode({"CSTHEORY_QUICK": "0"}), quick_mode({})
    (True, False, False)
    """
    import os

    text = (os.environ if environ is None else environ).get(QUICK_ENV, "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{QUICK_ENV} must be 1/true/yes/on (quick) or 0/false/no/off/empty (full), got {text!r}")


def first_seed(environ=None) -> int:
    """The first seed of a tutorial's random draws, from ``CSTHEORY_SEED``: the one parser every tutorial uses.

    Unset or empty means 0; otherwise a non-negative integer (surrounding spaces allowed); anything
    else is a ``ValueError`` naming the variable.

    >>> first_seed({"CSTHEORY_SEED": "3"}), first_seed({})
    (3, 0)
    """
    import os

    text = (os.environ if environ is None else environ).get(SEED_ENV, "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise ValueError(f"{SEED_ENV} must be a non-negative integer (the first seed of the draws), got {text!r}")
    return int(text)


@dataclass(frozen=True)
class Experiment:
    """One registered experiment.

    Attributes
    ----------
    name : str
        The name used on the command line (``--only fig3``).
    module : str
        The module with ``run``, ``plot`` and ``checks``.
    title : str
        One line, citing the paper.
    paper : tuple of str
        The equations, theorems and figures of the paper it reproduces or checks.
    backends : bool
        Whether ``run()`` takes ``xp`` and ``dtype`` (NumPy/CuPy/array-API, float32/float64).
    reproduce : bool
        Whether ``cstheory reproduce`` runs it (the phase-transition sweep has its own command).
    cost : float
        CPU seconds of one full-size draw on one core (measured on a 2-core x86-64 machine,
        rounded): :func:`cstheory.ensemble.run_ensemble` submits the longest draws first, so that
        the last draws to finish are short ones and no worker idles while one long draw ends.
        Only the order depends on it.
    """

    name: str
    module: str
    title: str
    paper: tuple = ()
    backends: bool = False
    reproduce: bool = True
    cost: float = 1.0

    def load(self):
        """The experiment's module (imported on first use)."""
        return importlib.import_module(self.module)

    def run(self, **kwargs):
        """``module.run(**kwargs)``."""
        return self.load().run(**kwargs)

    def plot(self, result, path=None):
        """``module.plot(result, path)``."""
        return self.load().plot(result, path=path)

    def checks(self, result):
        """``module.checks(result)`` as a list (empty when the module has none)."""
        module = self.load()
        return list(module.checks(result)) if hasattr(module, "checks") else []


_P = "cstheory.experiments."

#: name → :class:`Experiment`, in the order ``cstheory reproduce`` runs them.
EXPERIMENTS = {e.name: e for e in (
    Experiment("linear", _P + "linear_min_norm", "Sec. 3: GD → min-norm, recovery vs m (eq. 5, 7, 8)",
               ("eq. (5)", "eq. (6)", "eq. (7)", "eq. (8)", "Theorem 1"), backends=True, cost=1),
    Experiment("fig1", _P + "fig1", "Fig. 1: no early stopping for a 5-layer deep decoder on images",
               ("Fig. 1", "eq. (4)"), backends=True, cost=40),
    Experiment("fig2", _P + "fig2", "Fig. 2: trigonometric basis functions (eq. 10)", ("Fig. 2", "eq. (10)")),
    Experiment("fig3", _P + "fig3", "Fig. 3: kernels and their weights σ (eq. 11)",
               ("Fig. 3", "eq. (10)", "eq. (11)")),
    Experiment("monte-carlo", _P + "monte_carlo", "App. B: Monte-Carlo Σ(U) → exact",
               ("eq. (11)", "App. B"), backends=True, cost=1),
    Experiment("measurements", _P + "measurements",
               "Theorem 2: recovery error against m, two-layer vs linear min-norm (eq. 13)",
               ("Theorem 2", "eq. (13)"), cost=14),
    Experiment("no-early-stopping", _P + "no_early_stopping",
               "1-D Fig. 1: loss and true error against iterations, smooth vs rough", ("Fig. 1", "eq. (9)"), cost=2),
    Experiment("theorem4", _P + "theorem4", "Theorem 4: linearization gap against the width k (eq. 35)",
               ("Theorem 3", "Theorem 4", "eq. (15)", "eq. (16)", "eq. (35)", "eq. (37)", "eq. (39)", "eq. (40)"), cost=6),
    Experiment("fig4", _P + "fig4", "Fig. 4: Jacobian spectrum of a 4-layer decoder across GD",
               ("Fig. 4", "eq. (4)"), backends=True, cost=19),
    Experiment("fig5", _P + "fig5", "Fig. 5: compressive-sensing MRI against classical baselines",
               ("Fig. 5", "Sec. 5"), backends=True, cost=50),
    Experiment("phase-transition", _P + "phase_transition", "Phase transitions over (m/n, p/n)",
               ("Theorem 2",), reproduce=False),
)}


def get(name: str) -> Experiment:
    """The :class:`Experiment` called ``name``; ``ValueError`` listing the names otherwise."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def reproducible() -> list[str]:
    """The names that ``cstheory reproduce`` runs, in order."""
    return [name for name, e in EXPERIMENTS.items() if e.reproduce]
