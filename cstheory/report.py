"""The reproduction report (floor 6): theory checks with tolerances, written as Markdown and JSON."""
from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ._files import temporary_name

__all__ = ["Check", "ExperimentRun", "write_report"]


@dataclass
class Check:
    """One numerical check of the theory: ``value`` compared with ``tolerance``.

    ``relation`` is ``"<="`` (the value must not exceed the tolerance, e.g. an
    error) or ``">="`` (it must reach it, e.g. a ratio of improvement).
    """

    name: str
    value: float
    tolerance: float
    relation: str = "<="
    note: str = ""

    def __post_init__(self):
        if self.relation not in ("<=", ">="):
            raise ValueError(f"relation must be '<=' or '>=', got {self.relation!r}")
        self.value = float(self.value)
        self.tolerance = float(self.tolerance)

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.value):
            return False
        return self.value <= self.tolerance if self.relation == "<=" else self.value >= self.tolerance


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
    lines += ["| experiment | check | value | tolerance | result |", "|---|---|---|---|---|"]
    for r in runs:
        if r.error:
            lines.append(f"| {r.name} | run failed: {_cell(r.error)} | — | — | FAIL |")
        for c in r.checks:
            tol = f"{c.relation} {_fmt(c.tolerance)}"
            lines.append(f"| {r.name} | {_cell(c.name)} | {_fmt(c.value)} | {tol} | {'PASS' if c.passed else 'FAIL'} |")
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
             "checks": [{**asdict(c), "passed": c.passed} for c in r.checks]}
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
