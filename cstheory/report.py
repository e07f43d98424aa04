"""The reproduction report (floor 6): theory checks with tolerances, written as Markdown and JSON."""
from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ._files import temporary_name

__all__ = ["Check", "ExperimentRun", "write_report", "mean_interval"]


def mean_interval(values, level=0.95):
    """The mean of ``values`` and the ``level`` confidence interval of the mean (Student's t, n − 1 degrees
    of freedom): ``(mean, (low, high))``.  At least two finite values.

    >>> mean, (low, high) = mean_interval([1.0, 2.0, 3.0])
    >>> mean, round(low, 3), round(high, 3)
    (2.0, -0.484, 4.484)
    """
    values = [float(v) for v in values]
    if len(values) < 2 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"values must hold at least two finite numbers, got {values!r}"[:200])
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    from scipy.stats import t

    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return mean, (mean - half, mean + half)


@dataclass
class Check:
    """One numerical claim of the theory: ``value`` compared with ``tolerance``.

    ``relation`` is ``"<="`` (the value must not exceed the tolerance, e.g. an
    error) or ``">="`` (it must reach it, e.g. a ratio of improvement).

    A claim is a statistic over draws, not one draw.  An experiment's ``checks(result)`` states
    its claims for one draw (one seed of every random source); :func:`cstheory.ensemble.combine`
    merges the checks of several draws into one ``Check`` per claim, with the per-draw numbers in
    ``values``.  ``aggregate`` says which statistic decides:

    * ``"all"`` (default): every draw must satisfy the claim; ``value`` is the worst draw (the
      largest for ``"<="``, the smallest for ``">="``);
    * ``"mean"``: the mean over the draws must satisfy it; ``value`` is that mean, and
      :attr:`interval` its 95 % confidence interval (Student's t over the draws).
    """

    name: str
    value: float
    tolerance: float
    relation: str = "<="
    note: str = ""
    aggregate: str = "all"
    values: tuple = ()
    seeds: tuple = ()

    def __post_init__(self):
        if self.relation not in ("<=", ">="):
            raise ValueError(f"relation must be '<=' or '>=', got {self.relation!r}")
        if self.aggregate not in ("all", "mean"):
            raise ValueError(f"aggregate must be 'all' or 'mean', got {self.aggregate!r}")
        self.value = float(self.value)
        self.tolerance = float(self.tolerance)
        self.values = tuple(float(v) for v in self.values)
        self.seeds = tuple(int(s) for s in self.seeds)
        if self.seeds and len(self.seeds) != len(self.values):
            raise ValueError(f"seeds and values must have one entry per draw, got {len(self.seeds)} seeds "
                             f"and {len(self.values)} values")

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.value) or not all(math.isfinite(v) for v in self.values):
            return False
        return self.value <= self.tolerance if self.relation == "<=" else self.value >= self.tolerance

    @property
    def draws(self) -> int:
        """The number of draws behind ``value`` (1 for a check of one draw)."""
        return max(1, len(self.values))

    @property
    def mean(self) -> float:
        """The mean over the draws (``value`` for a check of one draw)."""
        return float(sum(self.values) / len(self.values)) if self.values else self.value

    @property
    def interval(self) -> tuple:
        """The 95 % confidence interval of the mean over the draws (:func:`mean_interval`; (value, value) for
        one draw)."""
        if len(self.values) < 2:
            return (self.mean, self.mean)
        return mean_interval(self.values)[1]

    @property
    def statistic(self) -> str:
        """The claim in words: which statistic over how many draws, e.g. ``"mean of 5 draws"``."""
        if self.draws == 1:
            return "one draw"
        return f"mean of {self.draws} draws" if self.aggregate == "mean" else f"worst of {self.draws} draws"

    def spread(self) -> str:
        """The draws in one line: mean, 95 % interval of the mean and the range, e.g. for the report."""
        if self.draws == 1:
            return "—"
        lo, hi = self.interval
        return (f"mean {_fmt(self.mean)}, 95 % CI [{_fmt(lo)}, {_fmt(hi)}], "
                f"range [{_fmt(min(self.values))}, {_fmt(max(self.values))}]")


@dataclass
class ExperimentRun:
    """What ``cstheory reproduce`` did for one experiment."""

    name: str
    title: str
    seconds: float
    figure: str | None
    checks: list[Check] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if x != 0 and (abs(x) < 1e-2 or abs(x) >= 1e4) else f"{x:.4g}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def write_report(runs, out_dir, meta=None):
    """Write ``report.md`` and ``report.json`` into ``out_dir``; return their paths.

    Both are written to temporary files and renamed into place (one helper, ``_write_pair``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(meta or {})
    meta.setdefault("python", platform.python_version())
    meta.setdefault("machine", platform.machine())
    total = sum(len(r.checks) for r in runs)
    failed = sum(1 for r in runs for c in r.checks if not c.passed) + sum(1 for r in runs if r.error)

    lines = ["# cstheory reproduction report", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items()]
    lines += [f"- checks: {total - failed} passed, {failed} failed", ""]
    lines += ["| experiment | check | statistic | value | tolerance | draws | result |",
              "|---|---|---|---|---|---|---|"]
    for r in runs:
        if r.error:
            lines.append(f"| {r.name} | run failed: {_cell(r.error)} | — | — | — | — | FAIL |")
        for c in r.checks:
            tol = f"{c.relation} {_fmt(c.tolerance)}"
            lines.append(f"| {r.name} | {_cell(c.name)} | {c.statistic} | {_fmt(c.value)} | {tol} | "
                         f"{_cell(c.spread())} | {'PASS' if c.passed else 'FAIL'} |")
    lines += ["", "| experiment | title | figure | seconds |", "|---|---|---|---|"]
    for r in runs:
        fig = f"[{Path(r.figure).name}]({Path(r.figure).name})" if r.figure else "—"
        lines.append(f"| {r.name} | {r.title} | {fig} | {r.seconds:.1f} |")
    notes = [(r.name, c) for r in runs for c in r.checks if c.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {name} — {c.name}: {c.note}" for name, c in notes]
    md = out / "report.md"
    payload = {
        "meta": meta,
        "passed": failed == 0,
        "experiments": [
            {**{k: v for k, v in asdict(r).items() if k != "checks"}, "passed": r.passed,
             "checks": [{**asdict(c), "passed": c.passed, "statistic": c.statistic, "mean": c.mean,
                         "interval": list(c.interval)} for c in r.checks]}
            for r in runs
        ],
    }
    js = out / "report.json"
    _write_pair([(md, "\n".join(lines) + "\n"), (js, json.dumps(payload, indent=2, default=float) + "\n")])
    return md, js


def _write_pair(files):
    """Write every (path, text) to a temporary file beside it, then rename them all into place.

    Nothing is renamed before every text is fully on disk, so an interruption leaves either the
    old files or the new ones (never a truncated report, and the two renames are back to back)."""
    temps = []
    try:
        for path, text in files:
            tmp = temporary_name(path)
            temps.append(tmp)
            with open(tmp, "x", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        for (path, _), tmp in zip(files, temps):
            os.replace(tmp, path)
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.remove(tmp)
