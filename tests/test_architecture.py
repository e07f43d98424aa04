"""The module graph against docs/architecture.md: every module has a floor, imports go down or sideways
(never up), the graph has no cycle, no module imports another module's private name, no file of the
package exceeds 800 lines, and the retired names of the names table appear nowhere but the changelog."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cstheory"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
MAX_LINES = 800


def floors():
    """{module name relative to cstheory ('kernels', 'experiments', …): floor} from the layer table."""
    table = {}
    for line in ARCHITECTURE.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line)
        if not m:
            continue
        for name in re.findall(r"`([\w/]+?)(?:\.py|/)`", m.group(2)):
            table[name] = int(m.group(1))
    return table


def modules():
    """{dotted module name relative to cstheory: path} of every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        if parts:
            out[".".join(parts)] = path
    return out


def floor_of(module, table):
    """The floor of a module: its own row, or the row of the package that holds it."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        name = "/".join(parts[:i])
        if name in table:
            return table[name]
    return None


def imports(module, path):
    """(imported cstheory module relative name, imported names, line) for every import of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and (node.module == "cstheory" or node.module.startswith("cstheory.")):
                target = node.module.split(".")[1:]
            else:
                continue
            yield ".".join(target), [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("cstheory."):
                    yield ".".join(a.name.split(".")[1:]), [], node.lineno


MODULES = modules()
TABLE = floors()
SKIP = {"__main__"}       # runs the command line; imports the top floor by design


def edges():
    """(importer, imported module, imported names, line) with submodule imports resolved."""
    for module, path in MODULES.items():
        if module in SKIP:
            continue
        for target, names, line in imports(module, path):
            found = False
            for name in names:       # `from . import kernels` imports the module cstheory.kernels
                sub = f"{target}.{name}" if target else name
                if sub in MODULES:
                    found = True
                    yield module, sub, [], line
            if not found and target:
                yield module, target, names, line


def test_every_module_has_a_floor_in_the_layer_table():
    missing = [m for m in MODULES if m not in SKIP and floor_of(m, TABLE) is None]
    assert not missing, f"modules with no row in docs/architecture.md's layer table: {missing}"


def test_imports_go_down_or_sideways_never_up():
    """A module imports only modules of its floor or below (a package's own submodules are its floor)."""
    up = []
    for importer, target, _, line in edges():
        if target not in MODULES:
            continue
        a, b = floor_of(importer, TABLE), floor_of(target, TABLE)
        if a is not None and b is not None and b > a:
            up.append(f"{importer} (floor {a}) imports {target} (floor {b}) at line {line}")
    assert not up, "\n".join(up)


def test_the_import_graph_has_no_cycle():
    """Module-level and function-level imports together: a cycle means two modules know each other."""
    graph = {m: set() for m in MODULES}
    for importer, target, _, _ in edges():
        if target in graph and target != importer:
            # a package's face importing its own submodules is not an arrow back
            if importer != target.rsplit(".", 1)[0] and not importer.startswith(target + "."):
                graph[importer].add(target)
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " → ".join(stack[stack.index(t):] + [t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_no_module_imports_another_modules_private_name():
    """`from .kernels import _scale` couples two modules through a name neither publishes; shared helpers
    live in a private module (`_numeric`, `_checks`, …) under public names.  A package's face may import
    its own private submodules' names."""
    bad = []
    for importer, target, names, line in edges():
        for name in names:
            if name.startswith("_") and not name.startswith("__"):
                same_package = importer.split(".")[0] == target.split(".")[0] and "." in importer + target
                if not same_package:
                    bad.append(f"{importer}:{line} imports {name} from {target}")
    assert not bad, "\n".join(bad)


def test_no_file_of_the_package_exceeds_800_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these by concept (limit {MAX_LINES} lines): {long}"


# ---------------------------------------------------------------------------
# one name per idea: the retired names of docs/architecture.md appear nowhere else
# ---------------------------------------------------------------------------
def retired_names():
    """The first column of the 'Retired names' table of docs/architecture.md."""
    section = ARCHITECTURE.split("### Retired names", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^\|\s*`([^`]+)`\s*\|", section, re.M)]


def searched_files():
    skip = {ROOT / "CHANGELOG.md", ROOT / "docs" / "architecture.md", Path(__file__).resolve()}
    for pattern in ("cstheory/**/*.py", "tests/**/*.py", "tutorials/*.py", "benchmarks/*.py", "docs/**/*.rst",
                    "docs/**/*.md", "docs/**/*.py", "*.md", "setup.cfg"):
        for path in ROOT.glob(pattern):
            if path.resolve() not in skip and "_build" not in path.parts:
                yield path


def test_the_names_table_has_retired_names():
    assert len(retired_names()) >= 4, "docs/architecture.md lost its 'Retired names' table"


@pytest.mark.parametrize("name", retired_names())
def test_a_retired_name_appears_nowhere_but_the_changelog(name):
    """Each retired name (as a whole word, in code, tests, tutorials, docs, benchmarks, CLI flags) is gone;
    CHANGELOG.md and the table itself record it."""
    flag = "--" + name.replace("_", "-")
    pattern = re.compile(r"(?<![\w.])" + re.escape(name) + r"(?!\w)|" + re.escape(flag) + r"(?![\w-])")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in searched_files()
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not hits, f"retired name {name!r} still used at: {hits[:10]}"
