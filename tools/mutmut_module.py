"""Mutation testing of ONE module of cstheory against ONE (or a few) test files, with mutmut 3.x.

mutmut reads its settings from the ``[mutmut]`` section of setup.cfg and, per
mutant, runs every test that called the mutated function during a first
"stats" run over the selected tests.  Running the whole suite that way costs
minutes per mutant on two cores; this script narrows both sides before
handing over to mutmut:

* only ``cstheory/<module>.py`` is mutated (``only_mutate``), and only its
  mutants are run (the name pattern ``cstheory.<module>.*``);
* the stats run, and so every mutant run, uses only the given test files
  (default ``tests/test_<module>.py``).

Usage (from the repository root, with the ``dev`` extra installed)::

    python tools/mutmut_module.py kernels                      # tests/test_kernels.py
    python tools/mutmut_module.py bounds tests/test_bounds.py tests/test_bounds_theorem2.py
    python tools/mutmut_module.py kernels --max-children 2
    python tools/mutmut_module.py kernels --results            # list the survivors
    python tools/mutmut_module.py kernels --fresh              # forget earlier results first

Then ``mutmut show <name>`` prints the diff of one mutant, and ``--mutants NAME ...`` (the
names as ``--results`` lists them) reruns chosen mutants after a new test was written.
The hypothesis profile is forced to ``ci`` (derandomized) so that a rerun
sees the same examples.  Results are kept in ``mutants/`` (git-ignored).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("module", help="module of cstheory to mutate, e.g. kernels or exercises.ex1")
    parser.add_argument("tests", nargs="*", help="test files (default tests/test_<module>.py)")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutant runs (default 1)")
    parser.add_argument("--mutants", nargs="+", default=None, help="run only these mutant names")
    parser.add_argument("--results", action="store_true", help="print the results of the last run and stop")
    parser.add_argument("--fresh", action="store_true",
                        help="delete mutants/ (earlier results) first; done anyway when the module or tests change")
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    os.environ["CSTHEORY_HYPOTHESIS_PROFILE"] = "ci"
    path = Path("cstheory", *args.module.split(".")).with_suffix(".py")
    if not path.is_file():
        parser.error(f"no module {path}")
    tests = args.tests or [f"tests/test_{args.module.split('.')[-1]}.py"]
    for t in tests:
        if not Path(t.split("::")[0]).exists():
            parser.error(f"no test file {t}")
    # mutmut keeps one module's mutants in mutants/ and takes a plain copy of another module there for
    # already mutated: start afresh whenever the module or the test files change
    stamp = Path("mutants") / ".cstheory-target"
    target = " ".join([str(path), *tests])
    if Path("mutants").exists() and (args.fresh or not stamp.exists() or stamp.read_text() != target):
        shutil.rmtree("mutants")
    Path("mutants").mkdir(exist_ok=True)
    stamp.write_text(target)

    from mutmut import configuration
    from mutmut.__main__ import cli
    _accept_a_forced_failure_at_import()

    cfg = configuration.config()
    cfg.only_mutate = [str(path)]
    cfg.pytest_add_cli_args_test_selection = list(tests)
    pattern = "cstheory." + args.module + ".*"
    if args.results:
        return cli(["results"], standalone_mode=False)
    names = args.mutants or [pattern]
    return cli(["run", "--max-children", str(args.max_children), *names], standalone_mode=False)


def _accept_a_forced_failure_at_import():
    """Let mutmut's check that its trampolines are live pass when the forced failure stops the tests at import.

    Before the first mutant mutmut runs the tests with every mutated function made to raise and insists that a
    test fails.  ``cstheory._backend`` calls some of its own functions when it is imported (the FFT thread count
    from the environment, the malloc settings, the perturbation variable), so the forced failure is raised while
    pytest imports conftest.py: pytest then stops with a usage error (exit code 4), which mutmut reports as a bad
    test command (``BadTestExecutionCommandsException``) and stops.  The statistics run just before has run the
    same command successfully, so a failure of that command under the forced failure is the failure mutmut
    looks for.  Mutant runs are unaffected: there one function at a time runs mutated code."""
    import mutmut.__main__ as mm
    from mutmut.runners.harness import BadTestExecutionCommandsException

    check = mm.run_forced_fail_test

    def run_forced_fail_test(runner):
        try:
            check(runner)
        except BadTestExecutionCommandsException:
            mm.set_mutant_under_test("")
            print("    done (the forced failure stopped the tests while importing the module: trampolines live)")

    mm.run_forced_fail_test = run_forced_fail_test


if __name__ == "__main__":
    sys.exit(main())
