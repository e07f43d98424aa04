"""The class report of ``cstheory exercise grade … --report`` (cstheory/exercises/_classreport.py): derived from the
graded rows, its counts equal the CSV's exactly.

A class of 40 sandboxed submissions of ``gradient`` — right, six classic mistakes, answers with no recognised
mistake (generic hints), and files that do not import — is graded once; the Markdown report is parsed back and
compared with the CSV, and the HTML report is checked to be self-contained."""
import csv
import re
import textwrap

import pytest

from cstheory import cli, exercises
from cstheory.exercises import _classreport

TEMPLATE = textwrap.dedent('''
    import numpy as np


    def gradient(U, C, A, y):
        k = C.shape[1]
        v = np.r_[np.ones(k // 2), -np.ones(k // 2)] / np.sqrt(k)
        Z = U @ C
        r = A.T @ (A @ (np.maximum(Z, 0.0) @ v) - y)
        return {expr}
''')
#: what each kind of student returns (the classic mistakes of tests/test_exercises.py, as files), and its key
KINDS = {
    "right": ("U.T @ (np.outer(r, v) * (Z > 0))", ""),
    "missing_Ut": ("U @ (np.outer(r, v) * (Z > 0))", "missing_Ut"),
    "missing_mask": ("U.T @ np.outer(r, v)", "missing_mask"),
    "sign": ("-(U.T @ (np.outer(r, v) * (Z > 0)))", "sign"),
    "factor_two": ("2 * (U.T @ (np.outer(r, v) * (Z > 0)))", "factor_two"),
    "mean_loss": ("U.T @ (np.outer(r, v) * (Z > 0)) / len(y)", "mean_loss"),
    "mask_from_C": ("U.T @ (np.outer(r, v) * (C > 0))", "mask_from_C"),
    "generic": ("U.T @ (np.outer(r, v) * (Z > 0)) + 0.125", ""),
}


def _class(folder, counts):
    """Write ``counts[kind]`` files of each kind (plus broken ones for kind "broken"); return {file: kind}."""
    folder.mkdir()
    made = {}
    for kind, count in counts.items():
        for i in range(count):
            name = f"{kind}_{i:02d}.py"
            source = "def gradient(U, C, A, y)\n    return U\n" if kind == "broken" else \
                TEMPLATE.format(expr=KINDS[kind][0])
            (folder / name).write_text(source)
            made[name] = kind
    return made


def _csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows


def _table(markdown, heading):
    """The rows of the first table after ``## heading`` as lists of cells."""
    section = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in lines]


@pytest.mark.slow
def test_a_class_of_forty_gets_a_report_whose_counts_are_the_csvs(tmp_path):
    counts = {"right": 10, "missing_Ut": 5, "missing_mask": 4, "sign": 4, "factor_two": 4, "mean_loss": 3,
              "mask_from_C": 3, "generic": 4, "broken": 3}
    made = _class(tmp_path / "class", counts)
    assert len(made) == 40
    out, md = tmp_path / "grades.csv", tmp_path / "class.md"
    report = exercises.grade("gradient", tmp_path / "class", out, workers=2, timeout=60, seed=7, max_examples=10,
                             report=md)
    assert report.report == str(md)
    rows = _csv(out)
    assert len(rows) == 40 and list(rows[0]) == ["submission", "exercise", "verdict", "seconds", "mistake", "message"]
    by_name = {r["submission"]: r for r in rows}
    for name, kind in made.items():                     # the class is what it was made to be
        verdict = {"right": "accepted", "broken": "error"}.get(kind, "rejected")
        assert by_name[name]["verdict"] == verdict, by_name[name]
        if kind not in ("right", "broken"):
            assert by_name[name]["mistake"] == KINDS[kind][1], by_name[name]
    text = md.read_text()
    # verdicts: the report's counts are the CSV's
    verdicts = {v: int(n) for v, n in _table(text, "Verdicts")}
    assert verdicts == {v: sum(r["verdict"] == v for r in rows) for v in exercises.VERDICTS}
    assert verdicts == {"accepted": 10, "rejected": 27, "error": 3, "timeout": 0}
    # mistakes: how many and which, the most frequent first
    mistakes = {cells[0].strip("`"): (int(cells[1]), cells[2].split(", ")) for cells in _table(text, "Mistakes the class made")}
    expected = {}
    for r in rows:
        if r["mistake"]:
            expected.setdefault(r["mistake"], []).append(r["submission"])
    assert {k: (len(v), v) for k, v in expected.items()} == {k: (n, sorted(w)) for k, (n, w) in mistakes.items()}
    assert list(mistakes)[0] == "missing_Ut"
    # the counterexamples that rejected the most files: at most 5, counts of rejected files, largest first
    examples = _table(text, "Counterexamples that rejected the most files")
    assert 1 <= len(examples) <= _classreport.TOP_COUNTEREXAMPLES
    files = [int(cells[0]) for cells in examples]
    assert files == sorted(files, reverse=True) and sum(files) <= verdicts["rejected"]
    for cells in examples:
        assert all(by_name[n]["verdict"] == "rejected" for n in cells[2].split(", "))
    # generic hints: exactly the rejected rows with no recognised mistake, to read first
    generic = re.findall(r"^- (\S+\.py)$", text.split("## Read these first", 1)[1], flags=re.M)
    assert sorted(generic) == sorted(r["submission"] for r in rows if r["verdict"] == "rejected" and not r["mistake"])
    assert sorted(generic) == sorted(n for n, k in made.items() if k == "generic")
    # times: the distribution of the CSV's seconds
    seconds = sorted(float(r["seconds"]) for r in rows)
    assert f"max {seconds[-1]:.2f} s" in text
    # the HTML report from the same rows: self-contained, the same counts, a PNG chart inline
    page = _classreport.write_report(tmp_path / "class.html", report, exercises.get("gradient"))
    html = open(page, encoding="utf-8").read()
    assert html.startswith("<!DOCTYPE html>") and 'src="data:image/png;base64,iVBOR' in html
    assert not re.search(r"(src|href)=\"(?!data:)", html)          # nothing fetched from anywhere
    assert "<td>missing_Ut</td><td>5</td>" in html and "<td>accepted</td><td>10</td>" in html


def test_the_command_line_writes_an_html_report_and_exam_feedback_without_hints(tmp_path, capsys):
    made = _class(tmp_path / "class", {"right": 1, "missing_Ut": 1, "generic": 1})
    out, page, feedback = tmp_path / "g.csv", tmp_path / "class.html", tmp_path / "fb"
    code = cli.main(["exercise", "grade", "gradient", str(tmp_path / "class"), "--out", str(out), "--seed", "3",
                     "--max-examples", "10", "--workers", "2", "--report", str(page), "--level", "exam",
                     "--feedback", str(feedback), "--quiet"])
    assert code == 0 and f"class report: {page}" in capsys.readouterr().out
    rows = {r["submission"]: r for r in _csv(out)}
    assert rows["missing_Ut_00.py"]["mistake"] == "missing_Ut"         # the teacher sees the mistake …
    for name in made:                                                  # … the students' feedback does not
        text = (feedback / name.replace(".py", ".txt")).read_text()
        assert "Hint" not in text and "missing Uᵀ" not in text
        assert "Hint" not in rows[name]["message"]
    assert "Counterexample" in (feedback / "missing_Ut_00.txt").read_text()
    html = page.read_text()
    assert "<td>missing_Ut</td><td>1</td>" in html and "<li>generic_00.py</li>" in html and "level exam" in html


def test_report_usage_errors_exit_2(tmp_path, capsys):
    _class(tmp_path / "class", {"right": 1})
    for bad in ("report.txt", str(tmp_path / "no" / "such" / "r.md"), str(tmp_path)):
        assert cli.main(["exercise", "grade", "gradient", str(tmp_path / "class"), "--out", str(tmp_path / "g.csv"),
                         "--report", bad]) == 2
        assert "--report" in capsys.readouterr().err
    assert not (tmp_path / "g.csv").exists()
    # the report written over the grades would lose them: refused, whatever the spelling of the path
    out = tmp_path / "grades.md"
    assert cli.main(["exercise", "grade", "gradient", str(tmp_path / "class"), "--out", str(out),
                     "--report", str(tmp_path / "." / "grades.md")]) == 2
    assert "--report" in capsys.readouterr().err and not out.exists()


def test_a_crash_a_wrong_shape_and_the_stub_are_named_so_only_unexplained_values_come_first():
    """"Read these first" lists the rejections nobody explained (wrong values, no classic mistake); a crash, an
    answer of the wrong shape and the untouched stub have their own keys and meanings in the report."""
    import numpy as np
    from cstheory.exercises._grading import GradeRow

    def crash(u):
        raise ZeroDivisionError("oops")

    checks = {"crash.py": exercises.check("sigma_weights", crash, max_examples=5),
              "shape.py": exercises.check("sigma_weights", lambda u: np.zeros(len(u) + 1), max_examples=5),
              "stub.py": exercises.check("sigma_weights", lambda u: (_ for _ in ()).throw(NotImplementedError()),
                                         max_examples=5),
              "values.py": exercises.check("sigma_weights", lambda u: np.full(len(u) // 2 + 1, 0.123),
                                           max_examples=5)}
    assert {k: r.mistake for k, r in checks.items()} == {"crash.py": "exception", "shape.py": "wrong_shape",
                                                          "stub.py": "not_implemented", "values.py": ""}
    rows = [GradeRow(name, "sigma_weights", r.verdict, 0.1, r.message, mistake=r.mistake) for name, r in checks.items()]
    summary = _classreport.summarize(rows, "sigma_weights")
    assert summary.generic == ["values.py"]
    text = _classreport.markdown_report(summary, exercises.get("sigma_weights"))
    for meaning in ("raised an exception", "wrong shape", "NotImplementedError"):
        assert meaning in text
