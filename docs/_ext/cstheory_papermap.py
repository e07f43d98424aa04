"""The paper map, generated at build time: every equation, theorem and figure of the paper
with the code that computes it and the checks that verify it.

Nothing here is copied from results.  The map is assembled from

* :data:`paper_catalogue.EQUATIONS` / ``OBJECTS`` — one line describing each object of the paper;
* the **docstrings** of the package: every public function, class, method and module that
  cites "eq. (N)", "Theorem N", "Fig. N" … (:func:`scan_package`);
* the **experiment registry** :data:`cstheory.experiments.EXPERIMENTS` (each experiment's
  ``paper`` tuple) and the **report checks** each experiment module's ``checks()`` builds,
  read from its source (:func:`experiment_checks`);
* the **tests** (``tests/test_*.py``) whose name or docstring cites the object (:func:`scan_tests`);
* the **tutorials** that cite it (:func:`scan_tutorials`).

The directive ``.. paper-map::`` renders the tables; ``.. paper-map-summary::`` the counts.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections import defaultdict
from pathlib import Path

from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

import cstheory_gallery as gallery
from paper_catalogue import EQUATIONS, KIND_NAMES, OBJECTS

ROOT = Path(__file__).resolve().parents[2]

#: modules whose public names have a page in the API reference (docs/api/*.rst)
DOCUMENTED_MODULES = {
    "cstheory", "cstheory.signals", "cstheory.kernels", "cstheory.operators", "cstheory.mri",
    "cstheory.generator", "cstheory.linear", "cstheory.two_layer", "cstheory.deep_decoder",
    "cstheory.spectrum", "cstheory.bounds", "cstheory.optim", "cstheory.fit", "cstheory.dynamics",
    "cstheory.baselines", "cstheory.experiments", "cstheory.report", "cstheory.sweep",
    "cstheory.plotting", "cstheory.testing", "cstheory.ensemble",
} | {f"cstheory.experiments.{m}" for m in (
    "linear_min_norm", "fig1", "fig2", "fig3", "fig4", "fig5", "monte_carlo", "measurements",
    "no_early_stopping", "theorem4", "phase_transition", "fig5_study")}
#: modules not scanned: the command line, entry points and private helpers
SKIPPED = ("cstheory.cli", "cstheory.__main__", "cstheory._")

Key = tuple  # ("eq", 11) or ("theorem", 4)


def citations(text: str) -> set[Key]:
    """Every paper object cited in ``text``: ("eq", N) with ranges expanded, ("theorem", N), …"""
    if not text:
        return set()
    out = {("eq", n) for n in gallery.equation_numbers(text)}
    return out | set(gallery.object_citations(text))


# ---------------------------------------------------------------------------
# the package's docstrings
# ---------------------------------------------------------------------------
def _documented_name(module: str, qualname: str):
    """Where the API reference documents ``module.qualname``: ``cstheory.NAME`` for the top-level
    names, ``module.qualname`` for a documented module, ``None`` otherwise."""
    import cstheory

    top = qualname.split(".")[0]
    mod = importlib.import_module(module)
    if top in cstheory.__all__ and getattr(cstheory, top, None) is getattr(mod, top, object()):
        return "cstheory." + qualname
    if module in DOCUMENTED_MODULES:
        return f"{module}.{qualname}"
    return None


def _display(module: str, qualname: str) -> str:
    """``sigma_weights`` for a top-level name, ``fig3.checks`` for a name of a submodule."""
    import cstheory

    top = qualname.split(".")[0]
    if top in cstheory.__all__ and getattr(cstheory, top, None) is getattr(importlib.import_module(module), top, None):
        return qualname
    return f"{_public_module(module, top).rsplit('.', 1)[-1]}.{qualname}"


def _public_module(module: str, name: str) -> str:
    """The module a reader imports ``name`` from: a private submodule (``exercises._engine``) is shown as
    the package that re-exports the name (``exercises``)."""
    parts = module.split(".")
    while len(parts) > 1 and parts[-1].startswith("_"):
        parent = importlib.import_module(".".join(parts[:-1]))
        if getattr(parent, name, None) is not getattr(importlib.import_module(module), name, object()):
            break
        parts = parts[:-1]
    return ".".join(parts)


def _public_members(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")]
    for name in names:
        obj = getattr(mod, name, None)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", None) == mod.__name__:
            yield name, obj


def scan_package(package: str = "cstheory"):
    """``{key: [(kind, documented name or None, display text)]}`` for every citing docstring.

    ``kind`` is "module", "function", "class" or "method"."""
    pkg = importlib.import_module(package)
    found = defaultdict(list)
    modules = [pkg] + [importlib.import_module(m.name) for m in pkgutil.walk_packages(pkg.__path__, package + ".")
                       if not m.name.startswith(SKIPPED)]
    for mod in modules:
        if mod.__name__.startswith(SKIPPED):
            continue
        for key in citations(inspect.getdoc(mod) or ""):
            target = mod.__name__ if mod.__name__ in DOCUMENTED_MODULES else None
            found[key].append(("module", target, mod.__name__))
        for name, obj in _public_members(mod):
            kind = "class" if inspect.isclass(obj) else "function"
            for key in citations(inspect.getdoc(obj) or ""):
                found[key].append((kind, _documented_name(mod.__name__, name), _display(mod.__name__, name)))
            if inspect.isclass(obj):
                for meth_name, meth in vars(obj).items():
                    if meth_name.startswith("_"):
                        continue
                    func = meth.fget if isinstance(meth, property) else meth
                    func = getattr(func, "__func__", func)
                    if not callable(func) or func.__doc__ is None:
                        continue
                    for key in citations(inspect.cleandoc(func.__doc__)):
                        qual = f"{name}.{meth_name}"
                        found[key].append(("method", _documented_name(mod.__name__, qual), _display(mod.__name__, qual)))
    return {k: _unique(v) for k, v in found.items()}


def _unique(items):
    seen, out = set(), []
    for item in items:
        if item[2] not in seen:
            seen.add(item[2])
            out.append(item)
    return out


# ---------------------------------------------------------------------------
# experiments and their checks
# ---------------------------------------------------------------------------
def _fstring(node) -> str:
    out = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            out.append(str(part.value))
        else:
            out.append("⟨" + ast.unparse(part.value) + "⟩")
    return "".join(out)


def experiment_checks(module_name: str):
    """The checks an experiment's ``checks()`` builds, read from its source:
    a list of dicts ``name``, ``relation``, ``tolerance`` (text) and ``note``."""
    mod = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(mod))
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "checks"), None)
    if func is None:
        return []
    out = []
    for node in ast.walk(func):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Check"):
            continue
        args = list(node.args)
        kw = {k.arg: k.value for k in node.keywords}
        name = args[0] if args else kw.get("name")
        text = name.value if isinstance(name, ast.Constant) else _fstring(name) if isinstance(name, ast.JoinedStr) \
            else ast.unparse(name)
        tol = args[2] if len(args) > 2 else kw.get("tolerance")
        rel = args[3] if len(args) > 3 else kw.get("relation")
        note = args[4] if len(args) > 4 else kw.get("note")
        out.append({
            "line": node.lineno,
            "name": text,
            "tolerance": ast.unparse(tol) if tol is not None else "",
            "relation": rel.value if isinstance(rel, ast.Constant) else "<=",
            "note": note.value if isinstance(note, ast.Constant) else "",
        })
    return sorted(out, key=lambda c: c["line"])


def registry():
    """``[(experiment, paper keys, checks)]`` in the order of the registry."""
    from cstheory.experiments import EXPERIMENTS

    out = []
    for exp in EXPERIMENTS.values():
        keys = set()
        for item in exp.paper:
            keys |= citations(item)
        out.append((exp, keys, experiment_checks(exp.module)))
    return out


# ---------------------------------------------------------------------------
# tests and tutorials
# ---------------------------------------------------------------------------
_NAME_EQ = re.compile(r"eq(\d{1,2})(?!\d)")
_NAME_OBJ = re.compile(r"(theorem|lemma|fig|proposition)(\d)(?!\d)")


def scan_tests(tests: Path = ROOT / "tests"):
    """``{key: ["test_file.py::test_name", …]}`` for tests whose name or docstring cites the key."""
    found = defaultdict(list)
    for path in sorted(tests.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")):
                continue
            keys = citations(ast.get_docstring(node) or "")
            keys |= {("eq", int(n)) for n in _NAME_EQ.findall(node.name) if 1 <= int(n) <= gallery.LAST_EQUATION}
            keys |= {(k, int(n)) for k, n in _NAME_OBJ.findall(node.name)
                     if int(n) in gallery.KNOWN.get(k, ())}
            for key in keys:
                found[key].append(f"{path.name}::{node.name}")
    return found


def scan_tutorials(tutorials: Path = gallery.TUTORIALS):
    """``{key: [tutorial stem, …]}`` from the Markdown cells of ``tutorials/*.py``."""
    found = defaultdict(list)
    for path in sorted(tutorials.glob("*.py")):
        text = "\n".join(t for k, t in gallery.cells(path.read_text(encoding="utf-8")) if k == "markdown")
        for key in citations(text):
            found[key].append(path.stem)
    return found


# ---------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------
def _ref(kind, target, text):
    if target is None:
        return f"``{text}``"
    shown = text if kind != "module" else f"{text} (module)"
    return f":py:obj:`{shown} <{target}>`"


def _key_label(key) -> str:
    kind, n = key
    return f"({n})" if kind == "eq" else f"{KIND_NAMES[kind]} {n}"


def _key_link(key) -> str:
    kind, n = key
    text = f"eq. ({n})" if kind == "eq" else f"{KIND_NAMES[kind]} {n}"
    return f":ref:`{text} <{gallery.label(kind, n)}>`"


def _check_text(check) -> str:
    rel = "≤" if check["relation"] == "<=" else "≥"
    text = f"{check['name']} ({rel} {check['tolerance']})".replace("*", r"\*").replace("`", "'")
    return text.replace("|", r"\|")


class Data:
    """Everything the map shows, collected once per build."""

    def __init__(self):
        self.code = scan_package()
        self.tests = scan_tests()
        self.tutorials = scan_tutorials()
        self.experiments = registry()

    def experiments_for(self, key):
        """``[(experiment, [checks])]``: the experiments listing ``key``; of their checks, those that
        cite ``key`` themselves, or all of them when none does."""
        out = []
        for exp, keys, checks in self.experiments:
            if key in keys:
                own = [c for c in checks if key in citations(c["name"])]
                out.append((exp, own or checks))
        return out

    def verified(self, key) -> bool:
        return bool(self.tests.get(key)) or any(checks for _, checks in self.experiments_for(key))


def _cell(lines):
    lines = [ln for ln in lines if ln]
    return lines or ["—"]


def _row(data: Data, key, where, what):
    kind, n = key
    anchor = gallery.label(kind, n)
    code = [_ref(k, t, d) for k, t, d in data.code.get(key, [])]
    exps = [f":ref:`{e.name} <paper-experiment-{e.name}>`" for e, _ in data.experiments_for(key)]
    computed = []
    if code:
        computed.append(", ".join(code))
    if exps:
        computed.append("experiments: " + ", ".join(exps))
    tutorials = data.tutorials.get(key, [])
    if tutorials:
        computed.append("tutorials: " + ", ".join(f":doc:`{t} </tutorials/{t}>`" for t in tutorials))
    checks = [f"*{e.name}*: " + "; ".join(_check_text(c) for c in cs) for e, cs in data.experiments_for(key) if cs]
    tests = data.tests.get(key, [])
    if tests:
        checks.append("tests: " + ", ".join(f"``{t}``" for t in tests))
    return [[f".. _{anchor}:", "", f"**{_key_label(key)}**"], [f"{where}: {what}"], _cell(computed), _cell(checks)]


def _table(title, header, rows, widths):
    lines = [f".. list-table:: {title}", "   :header-rows: 1", f"   :widths: {' '.join(map(str, widths))}",
             "   :class: paper-map", ""]
    for row in [[[h] for h in header]] + rows:
        for j, cell in enumerate(row):
            prefix = "   * - " if j == 0 else "     - "
            lines.append(prefix + cell[0])
            lines += [("       " + ln) if ln else "" for ln in cell[1:]]
    return lines + [""]


def render_map(data: Data) -> list[str]:
    header = ["", "What", "Computed by", "Verified by"]
    widths = [6, 24, 35, 35]
    eq_rows = [_row(data, ("eq", n), *EQUATIONS[n]) for n in sorted(EQUATIONS)]
    lines = ["Equations", "---------", ""]
    lines += _table("The numbered equations (1)–(53)", header, eq_rows, widths)
    for kinds, title in ((("theorem", "proposition"), "Theorems and propositions"),
                         (("assumption", "lemma"), "Assumptions and lemmas"),
                         (("fig",), "Figures")):
        rows = [_row(data, key, *OBJECTS[key]) for key in OBJECTS if key[0] in kinds]
        lines += [title, "-" * len(title), ""]
        lines += _table(title, header, rows, widths)
    lines += render_experiments(data)
    return lines


def render_experiments(data: Data) -> list[str]:
    lines = ["Experiments and their checks", "----------------------------", "",
             "The registry :py:obj:`cstheory.experiments.EXPERIMENTS`, in the order ``cstheory reproduce`` runs "
             "it, with the checks each ``checks(result)`` reports (value, relation, tolerance; read from the "
             "module's source).", ""]
    for exp, keys, checks in data.experiments:
        mod = exp.module
        paper = ", ".join(_key_link(k) for k in sorted(keys, key=_sort_key))
        extra = [p for p in exp.paper if not citations(p)]
        if extra:
            paper = ", ".join(filter(None, [paper, ", ".join(extra)]))
        lines += [f".. _paper-experiment-{exp.name}:", "", f"``{exp.name}``", "~" * (len(exp.name) + 8), "",
                  f"{exp.title}", "",
                  f"* module: :py:obj:`{mod} <{mod}>`",
                  f"* paper: {paper or '—'}",
                  f"* command: ``cstheory reproduce --only {exp.name}``" if exp.reproduce else
                  "* command: ``cstheory sweep phase-transition`` (not part of ``cstheory reproduce``)",
                  f"* backends: {'NumPy, CuPy, array-API (``--backend``, ``--dtype``)' if exp.backends else 'NumPy'}",
                  ""]
        if checks:
            lines += ["Checks:", ""]
            for c in checks:
                note = f" — {c['note']}" if c["note"] else ""
                lines.append(f"#. {_check_text(c)}{note}")
            lines.append("")
    return lines


def _sort_key(key):
    order = ["eq", "theorem", "proposition", "assumption", "lemma", "fig"]
    return order.index(key[0]), key[1]


def render_summary(data: Data) -> list[str]:
    eqs = [("eq", n) for n in EQUATIONS]
    computed = [k for k in eqs if data.code.get(k) or data.experiments_for(k)]
    verified = [k for k in eqs if data.verified(k)]
    missing = [k for k in eqs if not (data.code.get(k) or data.experiments_for(k))]
    lines = [f"Of the {len(eqs)} numbered equations, {len(computed)} are computed by a function or an experiment "
             f"and {len(verified)} are verified by a report check or a test.  "
             f"All {len(OBJECTS)} theorems, propositions, assumptions, lemmas and figures are listed below "
             "the equations.", ""]
    if missing:
        lines += ["Not computed (steps of the proofs, constants never made explicit): "
                  + ", ".join(_key_link(k) for k in missing) + ".", ""]
    return lines


_DATA = {}


def _data(env):
    if "data" not in _DATA:
        _DATA["data"] = Data()
    return _DATA["data"]


class PaperMap(SphinxDirective):
    has_content = False
    option_spec = {"part": directives.unchanged}

    def run(self):
        data = _data(self.env)
        part = self.options.get("part", "map")
        lines = render_summary(data) if part == "summary" else render_map(data)
        for path in [*(ROOT / "tests").glob("test_*.py"), *gallery.TUTORIALS.glob("*.py"),
                     *(ROOT / "cstheory").rglob("*.py")]:
            self.env.note_dependency(str(path))
        return self.parse_text_to_nodes("\n".join(lines), allow_section_headings=True)


def setup(app):
    app.add_directive("paper-map", PaperMap)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
