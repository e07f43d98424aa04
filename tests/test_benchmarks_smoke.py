"""Smoke tests of the benchmarks' own code at tiny sizes (no timing asserted; torch only where present).

What is asserted is mathematics: the timed GD steps are the steps of ``cst.fit``, the explicit-Jacobian
Monte-Carlo loop gives the same Σ̂ as ``sigma_matrix_mc`` for the same draws, the PyTorch deep decoder
packs θ in cstheory's order and takes the same first step, the floor is the roofline formula, and the
README table is rendered from the JSON that ``run.py --json`` writes.
"""
import importlib.util
import json
import os
import pathlib
import sys

import numpy as np
import pytest

import cstheory as cst

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def run():
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("cstheory_bench_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod          # dataclasses look their module up there
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop(spec.name, None)
    sys.path.remove(str(ROOT))


def test_timed_two_layer_step_is_the_step_of_fit(run):
    tl = run.bench_two_layer
    p = tl.two_layer_problem(32, 4, 8)
    gen, ours = tl.ours_two_layer(p, "float64")
    for _ in range(5):
        ours.step()
    C0 = cst._backend.asarray(p.C0)
    C_fit = cst.fit(gen, ours.A, ours.y, params=C0, steps=5, step_size=p.eta, record_every=5).params
    assert run._timing.rel_diff(cst.to_numpy(C_fit), ours.params()) < 1e-12


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_timed_deep_decoder_step_is_the_step_of_fit_with_identity(run, optimizer):
    dd = run.bench_deep_decoder
    gen, theta0, y, eta = dd.deep_problem((8, 8), 4, 2, "float64")
    assert eta > 0
    opt = dd._optimizer(optimizer, eta)
    ours = run.bench_two_layer.OursStepper(gen, None, y, theta0, opt)
    for _ in range(4):
        ours.step()
    got = cst.fit(gen, np.eye(gen.n), y, params=theta0, steps=4, optimizer=dd._optimizer(optimizer, eta),
                  record_every=4).params
    assert run._timing.rel_diff(ours.params(), cst.to_numpy(got)) < 1e-12


def _cs_case(dtype="float64"):
    return {"bench": "deep", "side": 8, "k": 4, "d": 2, "output": "conv", "dtype": dtype, "opt": "adam",
            "A": "gaussian"}


def test_timed_cs_step_is_the_step_of_fit_with_the_gaussian_operator(run):
    """The CS rows' step is ``cst.fit``'s Adam step on ½‖A G(θ) − A x‖² with A Gaussian, m = n/2 (A ≠ I:
    a step that dropped A, or Aᵀ, would differ), and every installed peer takes the same steps."""
    dd = run.bench_deep_decoder
    case = _cs_case()
    A = cst.to_numpy(dd.cs_operator(case))
    assert A.shape == (32, 64)
    gen, theta0, image, _ = dd.deep_problem((8, 8), 4, 2, "float64", "conv")
    step, sync, scale, get = dd.stepper(case, "ours")
    assert sync is None and scale == 1
    for _ in range(3):
        step()
    got = cst.fit(gen, A, A @ cst.to_numpy(image), params=theta0, steps=3, optimizer=cst.Adam(dd.ADAM_STEP),
                  record_every=3).params
    assert run._timing.rel_diff(get(), cst.to_numpy(got)) < 1e-12
    plain = cst.fit(gen, np.eye(gen.n), image, params=theta0, steps=3, optimizer=cst.Adam(dd.ADAM_STEP),
                    record_every=3).params
    assert run._timing.rel_diff(get(), cst.to_numpy(plain)) > 1e-6
    for impl in dd.PEERS:
        if dd.available(impl) is not None:
            continue
        pstep, psync, _, pget = dd.stepper(case, impl)
        for _ in range(3):
            pstep()
        assert run._timing.rel_diff(pget(), get()) < 1e-12, impl


def test_cs_reference_times_the_decoder_step_and_the_products_apart(run, monkeypatch):
    """"ours, parts apart": two pieces — the decoder's step with A = I (the same θ as ``cst.fit`` with the
    identity) and Aᵀ(A x − y) — and the timing child reports the sum of the pieces' own timings."""
    dd, T = run.bench_deep_decoder, run._timing
    case = _cs_case()
    parts, sync, scale, get = dd.stepper(case, dd.PARTS)
    assert isinstance(parts, T.Parts) and len(parts) == 2 and scale == 1
    (dec, _), (products, _) = parts
    gen, theta0, image, _ = dd.deep_problem((8, 8), 4, 2, "float64", "conv")
    A, x = cst.to_numpy(dd.cs_operator(case)), cst.to_numpy(image)
    want = A.T @ (A @ (1 - x) - A @ x)                     # the gradient of ½‖A z − A x‖² at z = 1 − x
    assert np.linalg.norm(want) > 1
    for _ in range(2):
        dec()
        np.testing.assert_allclose(cst.to_numpy(products()), want, rtol=1e-12, atol=1e-12)
    alone = cst.fit(gen, np.eye(gen.n), image, params=theta0, steps=2, optimizer=cst.Adam(dd.ADAM_STEP),
                    record_every=2).params
    assert run._timing.rel_diff(get(), cst.to_numpy(alone)) < 1e-12
    worker = pytest.importorskip("benchmarks._worker")
    pieces = iter([T.Timing(2e-3, 1e-3, 3, 10, [2e-3, 3e-3, 1e-3], 4e-3),
                   T.Timing(5e-3, 4e-3, 3, 4, [5e-3, 6e-3, 4e-3], 6e-3)])
    monkeypatch.setattr(T, "compare", lambda impls, *a: {name: next(pieces) for name in impls})
    out = worker.run_time({"impl": dd.PARTS, "repeats": 3, "min_time": 0.0, "cases": [case]})
    t = out["results"][0]["timing"]
    assert (t["median"], t["min"], t["cpu_median"]) == pytest.approx((7e-3, 5e-3, 1e-2))
    assert t["times"] == pytest.approx([7e-3, 9e-3, 5e-3]) and "error" not in out["results"][0]


def test_cs_rows_target_the_peers_and_the_pieces_not_a_floor(run):
    dd = run.bench_deep_decoder
    cs = [c for c in dd.cases() if c["A"] == "gaussian"]
    assert [(c["side"], c["dtype"]) for c in cs] == [(64, "float64"), (64, "float32")]
    assert dd.impls(cs[0]) == ("ours", dd.PARTS) + dd.PEERS
    t = dd.targets(cs[0])
    assert t[dd.PARTS] == ("ratio", "≤", 1.5) and all(t[p] == ("ratio", "≤", 0.8) for p in dd.PEERS)
    assert "floor" not in t and dd.work(cs[0]) is None
    title, size = dd.label(cs[0])
    assert "CS step" in title and size.endswith("m=2048")
    with pytest.raises(ValueError, match="Adam"):
        dd.stepper(_cs_case() | {"opt": "gd"}, "ours")


def test_torch_deep_decoder_packs_theta_and_takes_the_same_step(run):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    dd = run.bench_deep_decoder
    gen, theta0, y, eta = dd.deep_problem((8, 8), 4, 2, "float64")
    tt = run.peers.TorchDeepDecoder(gen, theta0, None, cst.to_numpy(y), eta, "float64")
    np.testing.assert_array_equal(tt.params(), cst.to_numpy(theta0))       # the same θ₀, in cstheory's order
    ours = run.bench_two_layer.OursStepper(gen, None, y, theta0, cst.GradientDescent(eta))
    ours.step()
    tt.step()
    assert run._timing.rel_diff(ours.params(), tt.params()) < 1e-12


@pytest.mark.parametrize("output", ["fixed", "conv"])
@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_jax_deep_decoder_packs_theta_and_takes_the_same_steps(run, output, optimizer):
    pytest.importorskip("jax")
    dd = run.bench_deep_decoder
    gen, theta0, y, eta = dd.deep_problem((8, 8), 4, 2, "float64", output)
    step = eta if optimizer == "gd" else dd.ADAM_STEP
    for upsample in ("matrix", "resize"):
        jj = run.peers.JaxDeepDecoder(gen, theta0, None, cst.to_numpy(y), step, "float64", optimizer=optimizer,
                                      upsample=upsample)
        np.testing.assert_array_equal(jj.params(), cst.to_numpy(theta0))
        ours = run.bench_two_layer.OursStepper(gen, None, y, theta0, dd._optimizer(optimizer, eta))
        for _ in range(3):
            ours.step()
            jj.step()
        assert run._timing.rel_diff(ours.params(), jj.params()) < 1e-12


def test_thread_env_fixes_every_pool_or_none():
    from benchmarks import _timing
    one = _timing.thread_env(1, base={"XLA_FLAGS": "--other", "OMP_NUM_THREADS": "7"})
    assert all(one[v] == "1" for v in _timing.THREAD_VARS)
    assert "--xla_cpu_multi_thread_eigen=false" in one["XLA_FLAGS"] and "--other" in one["XLA_FLAGS"]
    default = _timing.thread_env("default", base={"XLA_FLAGS": one["XLA_FLAGS"], "OMP_NUM_THREADS": "7"})
    assert not any(v in default for v in _timing.THREAD_VARS)
    assert default["XLA_FLAGS"] == "--other"


def test_a_one_thread_child_runs_on_one_cpu(run):
    """XLA's pool follows the CPUs a process may run on, not the thread variables: a one-thread row's
    child is restricted to one CPU (every implementation alike), "default" to none."""
    from benchmarks import _timing
    assert _timing.thread_cpus(1, allowed={0, 1, 2, 3}) == {3}
    assert _timing.thread_cpus(2, allowed={0, 5, 7}) == {5, 7}
    assert _timing.thread_cpus(3, allowed={0, 5, 7}) is None            # all of them: no restriction
    assert _timing.thread_cpus("default", allowed={0, 1}) is None
    with pytest.raises(ValueError, match="threads"):
        _timing.thread_cpus(0, allowed={0, 1})
    if not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs a CPU affinity mask of at least two CPUs")
    spec = {"mode": "time", "impl": "jax jit(grad)", "threads": 1, "repeats": 1, "min_time": 0.0, "cases": []}
    out = run.spawn(spec, 1)
    assert out["threads_report"]["cpus"] == [max(os.sched_getaffinity(0))]
    assert out["threads"] == 1                     # JAX's thread count: the CPUs it may run on
    assert len(run.spawn(spec, "default")["threads_report"]["cpus"]) == len(os.sched_getaffinity(0))


def test_reproduce_at_the_default_runs_with_the_thread_variables_unset(run, monkeypatch):
    """``--threads default`` times ``cstheory reproduce`` as a user runs it: its child gets no thread-count
    variable (so reproduce sizes its own workers), while ``--threads 1`` sets every one to 1."""
    from benchmarks import _timing, bench_reproduce
    seen = {}

    class Done:
        returncode, stderr, stdout = 0, "", ""

    def fake_run(cmd, **kw):
        seen["env"] = kw["env"]
        return Done()
    monkeypatch.setattr(bench_reproduce.subprocess, "run", fake_run)
    monkeypatch.setattr(bench_reproduce.os, "environ", _timing.thread_env("default"))
    bench_reproduce.run_reproduce(True, threads=None)
    assert not any(v in seen["env"] for v in _timing.THREAD_VARS)
    monkeypatch.setattr(bench_reproduce.os, "environ", {"OMP_NUM_THREADS": "7"})
    bench_reproduce.run_reproduce(True, threads=None)          # None: the environment as inherited
    assert seen["env"]["OMP_NUM_THREADS"] == "7" and "OPENBLAS_NUM_THREADS" not in seen["env"]
    bench_reproduce.run_reproduce(True, threads=1)
    assert all(seen["env"][v] == "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"))
    calls = []
    monkeypatch.setattr(run, "spawn", lambda spec, threads: calls.append((spec, threads)) or {"rows": [], "checks": []})
    args = type("A", (), {"only": ["reproduce"], "threads": ["default"], "repeats": 1, "min_time": 0.0,
                          "quick": True, "rows": None, "skip_checks": True})()
    run.run_all(args, {})
    assert calls[0][0]["args"]["threads"] is None and calls[0][1] == "default"


def _fake_result(ratio, over_floor, passed=True):
    """A result dict in --json's format with one deep-decoder comparison (no timing involved)."""
    T = pytest.importorskip("benchmarks._timing")
    title = "deep-decoder step (gd, \"fixed\")"
    rows = [T.Row(title, "64² k=64 d=5", "float64", "ours", 1e-3, threads=1, setting="1"),
            T.Row(title, "64² k=64 d=5", "float64", "jax jit(grad)", 1e-3 / ratio,
                  ours_over=ratio, threads=1, setting="1")]
    rows[1].target, rows[1].met = T.target_text(("ratio", "≤", 0.8), ratio)
    rows[0].over_floor = over_floor
    rows[0].floor_target, rows[0].floor_met = T.target_text(("ratio", "≤", 3.0), over_floor)
    from dataclasses import asdict
    return {"env": {}, "args": {}, "rows": [asdict(r) for r in rows],
            "checks": [{"name": "θ after 10 steps", "value": 1e-15, "tolerance": 1e-12, "passed": passed}]}


@pytest.mark.parametrize("ratio, over_floor, passed, missed", [
    (0.7, 2.0, True, 0),        # every target met
    (0.81, 2.0, True, 1),       # ours ÷ jax above 0.8
    (0.7, 3.5, True, 1),        # ours ÷ floor above 3
    (0.9, 4.0, False, 3),       # both, and a failed correctness check
])
def test_check_exits_1_exactly_when_a_row_misses_its_target(run, tmp_path, ratio, over_floor, passed, missed):
    data = _fake_result(ratio, over_floor, passed)
    assert len(run.missed_targets(data)) == missed
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(data))
    assert run.main(["--check", "--from", str(path)]) == (1 if missed else 0)


def _with_rounds(data, ratios, floors, setting="1"):
    """``data`` (one jax comparison, :func:`_fake_result`) given round-by-round ratios ours ÷ jax and ours ÷ floor,
    with the verdicts and counts that ``run.py --rounds`` derives from them, under thread setting ``setting``."""
    T = pytest.importorskip("benchmarks._timing")
    ours, jax = (dict(r) for r in data["rows"])
    jax["round_ratios"], jax["met_rounds"] = ratios, sum(x <= 0.8 for x in ratios)
    ours["round_medians_s"] = [f * 1e-3 for f in floors]
    ours["floor_s"], ours["floor_met_rounds"] = 1e-3, sum(f <= 3.0 for f in floors)
    jax["ours_over"], ours["over_floor"] = float(np.median(ratios)), float(np.median(floors))
    jax["target"], jax["met"] = T.target_text(("ratio", "≤", 0.8), jax["ours_over"])
    ours["floor_target"], ours["floor_met"] = T.target_text(("ratio", "≤", 3.0), ours["over_floor"])
    for r in (ours, jax):
        r["setting"] = setting
    return {**data, "rows": [ours, jax]}


_FINDINGS = ("REGRESSED", "SLOWER", "MISSED", "NOT IN THE BASELINE", "NOTHING TO COMPARE", "FAILED check",
             "ON THE LINE", "KNOWN", "NOW MET", "SAME", "NOTE")


def _findings(lines):
    """The kinds of finding (REGRESSED, SLOWER, KNOWN, …) in ``compare_to_baseline``'s lines, in order."""
    import re
    pattern = "|".join(re.escape(f) for f in _FINDINGS)
    return [m for line in lines for m in re.findall(rf"(?:^|; |: )({pattern})\b", line)]


@pytest.mark.parametrize("base, now, failures, notes", [
    # (ours ÷ jax and ours ÷ floor by round) in the baseline and now → what fails and what is noted
    (([0.6] * 3, [2.0] * 3), ([0.62] * 3, [2.1] * 3), [], ["SAME"]),                # the same within noise
    (([0.6] * 3, [2.0] * 3), ([0.7] * 3, [2.0] * 3), ["SLOWER"], []),               # +17 % against jax
    (([0.7] * 3, [2.0] * 3), ([0.85] * 3, [2.0] * 3), ["REGRESSED", "SLOWER"], []),  # met in every round, missed
    (([0.6] * 3, [2.9] * 3), ([0.6] * 3, [3.1] * 3), ["REGRESSED"], ["SAME"]),      # the floor, met in every round
    (([0.6] * 3, [2.9, 3.1, 2.95]), ([0.6] * 3, [3.1] * 3), [], ["ON THE LINE", "SAME"]),   # met in 2 of 3 rounds
    (([0.6] * 3, [3.1, 2.9, 3.2]), ([0.6] * 3, [3.1] * 3), [], ["ON THE LINE", "SAME"]),    # missed, met in 1 of 3
    (([0.6] * 3, [3.4] * 3), ([0.6] * 3, [3.3] * 3), [], ["KNOWN", "SAME"]),        # missed in every round
    (([0.6] * 3, [3.4] * 3), ([0.6] * 3, [2.8] * 3), [], ["NOW MET", "SAME"]),
])
def test_check_against_a_baseline_fails_only_on_what_got_worse(run, tmp_path, base, now, failures, notes):
    """``--check --baseline``: a target the baseline met in every round and now missed, or ours ÷ the peers more
    than the tolerance (10 %) above the baseline's, fails; a target the baseline missed or met only in some
    rounds is noted; a target the baseline missed that now holds is noted as met."""
    b = _with_rounds(_fake_result(0.7, 2.0), *base)
    d = _with_rounds(_fake_result(0.7, 2.0), *now)
    got_failures, got_notes = run.compare_to_baseline(d, b)
    assert _findings(got_failures) == failures and len(got_failures) == (1 if failures else 0)   # one comparison
    assert _findings(got_notes) == notes
    (tmp_path / "base.json").write_text(json.dumps(b))
    (tmp_path / "now.json").write_text(json.dumps(d))
    status = run.main(["--check", "--from", str(tmp_path / "now.json"), "--baseline", str(tmp_path / "base.json")])
    assert status == (1 if failures else 0)
    other = str(tmp_path / "now.json"), "--baseline", str(tmp_path / "base.json"), "--rows", "float32"
    assert run.main(["--check", "--from", *other]) == 1          # --rows leaves nothing to compare


def _peers(changes, setting="1"):
    """A deep-decoder comparison with one row of ours and one per peer, ours ÷ peer = 0.5 × ``changes[peer]``."""
    rows = [{"bench": "deep-decoder step (gd, \"fixed\")", "size": "64² k=64 d=5", "dtype": "float32", "impl": impl,
             "setting": setting, "median_s": 1e-3 * (c if impl == "ours" else 2.0),
             "ours_over": None if impl == "ours" else 0.5 * c} for impl, c in changes.items()]
    return {"env": {}, "args": {"rounds": 3}, "rows": rows, "checks": []}


def test_check_against_a_baseline_averages_the_peers_and_skips_ours_variants(run):
    """SLOWER is the geometric mean over the peers of (ours ÷ peer) ÷ the baseline's: one noisy peer does not
    decide, the peers together do; rows of ours' own variants ("ours (cst.fit)", "ours, parts apart") slow down
    with ours and are left out of the mean; a peer only one run has is noted and left out."""
    base = _peers({"ours": 1.0, "pytorch autograd": 1.0, "jax jit(grad)": 1.0, "ours, parts apart": 1.0})
    one_noisy = _peers({"ours": 1.0, "pytorch autograd": 1.2, "jax jit(grad)": 0.95, "ours, parts apart": 1.0})
    assert run.compare_to_baseline(one_noisy, base)[0] == []                 # √(1.2 · 0.95) = 1.068
    both = _peers({"ours": 1.15, "pytorch autograd": 1.2, "jax jit(grad)": 1.05, "ours, parts apart": 1.0})
    failures, _ = run.compare_to_baseline(both, base)                       # √(1.2 · 1.05) = 1.122
    assert _findings(failures) == ["SLOWER"] and "+12%" in failures[0] and "ours' own time +15%" in failures[0]
    parts_only = _peers({"ours": 1.0, "pytorch autograd": 1.0, "jax jit(grad)": 1.0, "ours, parts apart": 3.0})
    assert run.compare_to_baseline(parts_only, base)[0] == []
    new_peer = _peers({"ours": 1.0, "pytorch autograd": 1.0, "jax jit(grad)": 1.0, "torch.compile": 3.0})
    failures, notes = run.compare_to_baseline(new_peer, base)
    assert failures == [] and _findings(notes) == ["NOTE", "SAME"] and "torch.compile" in notes[0]


def test_check_against_a_baseline_matches_rows_by_thread_setting_and_keeps_hard_failures(run):
    """Comparisons are matched by benchmark, size, dtype and thread setting: a one-thread baseline that met
    its floor does not excuse the two-thread row missing it; a comparison the baseline lacks fails (a
    mismatched --rows, dtype or setting must not pass unseen), and so does a run with no rows; a target
    the baseline does not have fails as plain ``--check`` would; a failed correctness check fails whatever
    the baseline says; the tolerance is the caller's."""
    base = _with_rounds(_fake_result(0.6, 2.0), [0.6] * 3, [3.4] * 3, setting="default")
    base["rows"] += _with_rounds(_fake_result(0.6, 2.0), [0.6] * 3, [2.0] * 3, setting="1")["rows"]
    now = _with_rounds(_fake_result(0.6, 2.0), [0.6] * 3, [3.3] * 3, setting="default")
    failures, notes = run.compare_to_baseline(now, base)
    assert failures == [] and _findings(notes) == ["KNOWN", "SAME", "NOTE"]   # NOTE: the "1" comparison not run
    one = _with_rounds(_fake_result(0.6, 2.0), [0.6] * 3, [3.3] * 3, setting="1")
    assert _findings(run.compare_to_baseline(one, base)[0]) == ["REGRESSED"]
    four = _with_rounds(_fake_result(0.6, 2.0), [0.6] * 3, [3.3] * 3, setting="4")
    assert _findings(run.compare_to_baseline(four, base)[0]) == ["NOT IN THE BASELINE"]
    assert _findings(run.compare_to_baseline({**now, "rows": []}, base)[0]) == ["NOTHING TO COMPARE"]
    no_floor = {**base, "rows": [{**r, "floor_met": None} for r in base["rows"]]}
    assert _findings(run.compare_to_baseline(now, no_floor)[0]) == ["MISSED"]
    crashed = {**now, "rows": [now["rows"][0], {**now["rows"][1], "note": "failed: boom"}]}
    failures = run.compare_to_baseline(crashed, base)[0]
    assert len(failures) == 1 and "jax jit(grad): failed: boom" in failures[0]
    broken = {**now, "checks": [{"name": "θ after 10 steps", "value": 1e-3, "tolerance": 1e-12, "passed": False}]}
    assert _findings(run.compare_to_baseline(broken, base)[0]) == ["FAILED check"]
    slower = _with_rounds(_fake_result(0.6, 2.0), [0.64] * 3, [3.3] * 3, setting="default")   # +6.7 %
    assert run.compare_to_baseline(slower, base)[0] == []
    assert _findings(run.compare_to_baseline(slower, base, tolerance=0.05)[0]) == ["SLOWER"]
    with pytest.raises(ValueError, match="tolerance"):
        run.compare_to_baseline(now, base, tolerance=-0.1)
    with pytest.raises(SystemExit):
        run.parse_args(["--baseline", "x.json"])                      # --baseline needs --check
    with pytest.raises(SystemExit):
        run.parse_args(["--check", "--tolerance", "-1"])
    with pytest.raises(SystemExit):
        run.parse_args(["--check", "--from", "x.json", "--rows", "("])


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"rows": {}}', '{"rows": [{"bench": "b"}]}'])
def test_check_refuses_a_file_that_is_not_a_saved_run(run, tmp_path, text):
    """``--from`` and ``--baseline`` name the option and what a saved run holds, before judging anything."""
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_fake_result(0.7, 2.0)))
    bad.write_text(text)
    with pytest.raises(SystemExit, match="--baseline"):
        run.main(["--check", "--from", str(good), "--baseline", str(bad)])
    with pytest.raises(SystemExit, match="--from"):
        run.main(["--check", "--from", str(bad)])
    with pytest.raises(SystemExit, match="cannot read"):
        run.main(["--check", "--from", str(good), "--baseline", str(tmp_path / "missing.json")])


def test_explicit_jacobian_loop_equals_sigma_matrix_mc(run):
    u = cst.kernels.triangular(16, 3)
    fast = cst.sigma_matrix_mc(cst.circulant_matrix(u), 5, 4, rng=3)
    slow = run.bench_spectrum.sigma_mc_explicit(u, 5, 4, rng=3)
    np.testing.assert_allclose(slow, cst.to_numpy(fast), rtol=1e-12, atol=1e-14)


def test_floor_is_the_roofline_of_the_counted_work(run):
    T = run._timing
    rates = T.Rates(threads=1, bandwidth=1e10, gemm={"float64": 1e10}, fft={"float64": 5e9})
    memory_bound = T.Work(bytes=1e8, gemm_flops=1e8, fft_flops=0.0)
    assert memory_bound.floor("float64", rates) == pytest.approx(1e-2)          # 1e8 B / 1e10 B/s
    compute_bound = T.Work(bytes=1e6, gemm_flops=1e9, fft_flops=1e9)
    assert compute_bound.floor("float64", rates) == pytest.approx(0.1 + 0.2)    # GEMM + FFT time
    assert T.fft_flops(1024) == pytest.approx(2.5 * 1024 * 10)
    w = run.bench_two_layer.two_layer_work(1024, 512, 256, "float64")
    assert w.bytes == 2 * 512 * 513 * 16 + 2 * 256 * 1024 * 8
    assert w.fft_flops == pytest.approx(2 * 512 * 2.5 * 1024 * 10)


def test_compare_table_json_and_readme(run, tmp_path):
    T = run._timing
    calls = []
    t = T.compare({"a": (lambda: calls.append(1), None)}, repeats=3, min_time=0.0, warmup=1)
    assert t["a"].repeats == 3 and len(t["a"].times) == 3 and calls and t["a"].cpu_median is not None
    report = T.Report()
    rates = T.Rates(threads=1, bandwidth=1e10, gemm={"float64": 1e10}, fft={"float64": 1e10})
    T._RATES[T.THREADS] = rates
    work = T.Work(bytes=1e3)
    report.add_group("demo", "n=1", "float64", {"ours": t["a"], "peer": t["a"], "gone": "not installed"},
                     targets={"peer": ("ratio", "≤", 2.0), "floor": ("ratio", "≤", 1e12)}, work=work, peak=1024)
    ours_row, peer_row = report.rows[0], report.rows[1]
    assert peer_row.ours_over == pytest.approx(1.0) and peer_row.met and peer_row.target == "≤ 2 ✓"
    assert ours_row.floor_s == pytest.approx(1e-7) and ours_row.over_floor == pytest.approx(t["a"].median / 1e-7)
    report.checks.append(T.agreement_check("x", "float64", np.ones(3), np.ones(3)))
    env = {"cpu_count": 2, "processor": "", "machine": "x", "python": "3", "numpy": "2", "scipy": "1", "threads": 1,
           "rates": {"1": {"threads": 1, "bandwidth_GBps": 10.0, "gemm_GFlops": {"float64": 10.0},
                           "fft_GFlops": {"float64": 10.0}}}}
    text = run.markdown(report, env)
    assert "| demo | n=1 | float64 | peer |" in text and "not installed" in text and "PASS" in text
    assert "≤ 2 ✓" in text
    from dataclasses import asdict
    data = {"env": env, "args": {"repeats": 3}, "rows": [asdict(r) for r in report.rows],
            "checks": [asdict(c) | {"passed": c.passed} for c in report.checks]}
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(data))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{run.README_START}\nold table\n{run.README_END}\nafter\n")
    table = run.update_readme(path, readme)
    new = readme.read_text()
    assert "old table" not in new and new.startswith("intro\n") and new.endswith("after\n")
    assert "| demo | n=1 | float64 |" in table and "peer" in table and "(1 ✓; CPU 1)" in table
    assert "1 of 1 pass" in table



def test_rounds_pair_ours_with_the_peer_of_the_same_round(run):
    """With --rounds, each round's ratio is ours ÷ the peer timed in that round, and a target whose
    verdict differs between rounds says in how many it was met (the table's median verdict alone would
    hide that the machine's noise decides it); when every round agrees, nothing is added."""
    T = run._timing
    t = T.Timing(median=1.0, min=1.0, times=[1.0], number=1, repeats=1, cpu_median=1.0)
    peer = T.Timing(median=1.25, min=1.25, times=[1.25], number=1, repeats=1, cpu_median=1.25)
    rounds = {"ours": [1.0, 1.0, 0.9, 1.1, 1.0], "jax": [1.1, 1.3, 1.25, 1.5, 1.3], "torch": [2.0, 3.0, 2.5, 2.4, 2.6]}
    report = T.Report()
    report.add_group("demo", "n=1", "float64", {"ours": t, "jax": peer, "torch": peer},
                     targets={"jax": ("ratio", "≤", 0.8), "torch": ("ratio", "≤", 0.8)}, rounds=rounds)
    ours_row, jax_row, torch_row = report.rows
    assert jax_row.round_ratios == pytest.approx([1.0 / 1.1, 1.0 / 1.3, 0.9 / 1.25, 1.1 / 1.5, 1.0 / 1.3])
    assert jax_row.ours_over == pytest.approx(1.0 / 1.3)          # the median of the rounds' ratios
    assert jax_row.met_rounds == 4 and torch_row.met_rounds == 5 and ours_row.round_ratios is None
    assert T.rounds_text(jax_row.met_rounds, jax_row.round_ratios) == ", ✓ in 4 of 5 rounds"
    assert T.rounds_text(torch_row.met_rounds, torch_row.round_ratios) == ""
    assert T.rounds_text(0, [0.9, 0.95]) == "" and T.rounds_text(None, None) == ""
    assert T.rounds_text(2, [1.0, None, 2.0, 3.0]) == ", ✓ in 2 of 3 rounds"                   # a failed round
    from dataclasses import asdict
    table = run.readme_table({"env": {"cpu_count": 2, "python": "3", "numpy": "2", "scipy": "1", "loadavg_1m": 0.5,
                                      "cpu": "Intel(R) Xeon(R) Processor"},
                              "args": {"repeats": 1, "rounds": 5}, "rows": [asdict(r) for r in report.rows]})
    assert table.count("Xeon") == 1 and " on Intel(R) Xeon(R) Processor, 2 cores; Python 3" in table  # load: per run
    assert "jax 1.25 s (0.769 ✓, ✓ in 4 of 5 rounds; CPU 0.8)" in table and "torch 1.25 s (0.385 ✓; CPU" in table
    assert "where the rounds disagree on a target the table says in how many it was met" in table
    # the floor target, round by round: ours ÷ floor = 2.5, 2.5, 2.25, 2.75, 2.5 against ≤ 2.5
    rates = T.Rates(threads=1, bandwidth=1.0, gemm={"float64": 1.0}, fft={"float64": 1.0})
    floored = T.Report()
    floored.add_group("demo", "n=1", "float64", {"ours": t}, targets={"floor": ("ratio", "≤", 2.5)},
                      work=T.Work(bytes=0.4), rates=rates, rounds={"ours": rounds["ours"]})
    assert floored.rows[0].floor_met and floored.rows[0].floor_met_rounds == 4



def test_rounds_that_fail_are_left_out_of_the_pairs(run, monkeypatch):
    """A round in which ours or the peer failed pairs with nothing (ours failing in round 2 and the peer in
    round 4 leaves rounds 1, 3 and 5, not a shifted zip of the survivors); every case of a group keeps its
    own rounds in order; the row says how many rounds failed."""
    import types
    cases = [{"dtype": "float64", "n": 1}, {"dtype": "float64", "n": 2}]
    fake = types.SimpleNamespace(available=lambda impl: None, targets=lambda c: {"jax": ("ratio", "≤", 0.8)},
                                 work=lambda c: None, label=lambda c: ("demo", f"n={c['n']}"))
    monkeypatch.setattr(run, "_modules", lambda: {"x": fake})
    monkeypatch.setattr(run, "_cases", lambda name, quick, rows: [cases])
    monkeypatch.setattr(run, "_impls", lambda name, c: ["ours", "jax"])
    fails = {("ours", 2), ("jax", 4)}
    jax_times = {1: 2.0, 2: 2.0, 3: 2.5, 4: 2.0, 5: 1.0}           # ours: 1.0 (case 1) and 3.0 (case 2)
    calls = {"ours": 0, "jax": 0}

    def spawn(spec, threads):
        impl = spec["impl"]
        calls[impl] += 1
        if (impl, calls[impl]) in fails:
            return {"error": "child exited 1", "seconds": 0}
        results = []
        for c in spec["cases"]:
            m = (1.0 if c["n"] == 1 else 3.0) if impl == "ours" else jax_times[calls[impl]] * c["n"]
            results.append({"case": c, "timing": dict(median=m, min=m, times=[m], number=1, repeats=1, cpu_median=m),
                            "peak": 0, "loadavg_1m": 0})
        return {"threads": 1, "seconds": 0, "loadavg_1m": [0, 0], "results": results}
    monkeypatch.setattr(run, "spawn", spawn)
    args = types.SimpleNamespace(rounds=5, quick=True, rows=None, repeats=1, min_time=0.1)
    report = run.Report()
    run.time_rows(report, args, "x", 1, None, [])
    by = {(r.size, r.impl): r for r in report.rows}
    one, two = by[("n=1", "jax")], by[("n=2", "jax")]
    assert one.round_medians_s == [2.0, 2.0, 2.5, None, 1.0] and by[("n=1", "ours")].round_medians_s[1] is None
    assert one.round_ratios == pytest.approx([1 / 2.0, 1 / 2.5, 1 / 1.0])                  # rounds 1, 3, 5
    assert two.round_ratios == pytest.approx([3 / 4.0, 3 / 5.0, 3 / 2.0])
    assert one.ours_over == pytest.approx(0.5) and one.met and one.met_rounds == 2
    assert two.ours_over == pytest.approx(0.75) and two.met and two.met_rounds == 2
    assert one.note == "failed in 1 of 5 rounds" and by[("n=1", "ours")].note == "failed in 1 of 5 rounds"


def test_saved_rows_are_rederived_from_their_rounds(run):
    """``--merge`` re-derives a saved row's ratio and verdict from its rounds (the median of the round
    ratios, the target's bound read back from its text); rows without rounds are left as they are."""
    T = run._timing
    row = {"ours_over": 0.82, "target": "≤ 0.8 ✗", "met": False, "round_ratios": [0.7, 0.75, 0.9], "met_rounds": 9}
    new = T.rederive(row)
    assert new["ours_over"] == pytest.approx(0.75) and new["met"] is True and new["target"] == "≤ 0.8 ✓"
    assert new["met_rounds"] == 2 and row["ours_over"] == 0.82                               # a copy
    assert T.rederive({"ours_over": 1.2, "target": "≥ 1.5 ✗", "met": False, "round_ratios": [1.4, 1.6, 1.7]})[
        "met"] is True
    plain = {"ours_over": 0.9, "target": "≤ 0.8 ✗", "met": False}
    assert T.rederive(plain) is plain
    assert T.rederive({"ours_over": None, "round_ratios": [1.0, 2.0], "target": ""})["ours_over"] is None


def test_bad_arguments_are_refused(run):
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "nonsense"])
    with pytest.raises(SystemExit):
        run.parse_args(["--repeats", "0"])
    with pytest.raises(SystemExit):
        run.parse_args(["--threads", "0"])
    with pytest.raises(SystemExit):
        run.parse_args(["--from", "x.json"])              # --from needs --check
    assert run.parse_args(["--threads", "1,default"]).threads == ["1", "default"]


def test_rows_reruns_the_matching_rows_and_nothing_else(run, capsys):
    """``--rows REGEX`` alone times the benchmarks that have a matching row (not the Monte-Carlo and
    sigma_weights rows too); a regex that matches nothing, or is not one, is a usage error naming it."""
    assert run.parse_args(["--rows", 'gd, "fixed".*64² .*float64']).only == ["deep"]
    assert run.parse_args(["--rows", "two-layer.*n=1024"]).only == ["twolayer"]
    assert run.parse_args(["--rows", "float32"]).only == ["twolayer", "deep"]
    assert run.parse_args(["--rows", "two-layer", "--only", "twolayer,mc"]).only == ["twolayer", "mc"]
    for bad in ("no such row", "("):
        with pytest.raises(SystemExit):
            run.parse_args(["--rows", bad])
        assert "--rows" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.parse_args(["--rows", "128²", "--quick"])          # --quick has no 128² rows


def test_list_prints_the_rows_a_pattern_matches_and_runs_nothing(run, capsys, monkeypatch):
    """``--list``: one "benchmark size dtype" per line, the rows ``--rows`` would time (every two-layer and
    deep-decoder row without it), and no child started."""
    monkeypatch.setattr(run, "spawn", lambda *a: pytest.fail("--list started a child"))
    assert run.main(["--list", "--rows", r'adam, "fixed"\) 64² .*float32']) == 0
    assert capsys.readouterr().out.splitlines() == ['deep-decoder step (adam, "fixed") 64² k=64 d=5 float32']
    assert run.main(["--list", "--rows", r'"fixed"\) 64² .*float32']) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2                      # GD and Adam: a pattern for both
    assert run.main(["--list"]) == 0
    names = capsys.readouterr().out.splitlines()
    assert len(names) == len(set(names)) == 29 and names[0].startswith("two-layer GD step n=1024")
    assert sum("CS step" in n for n in names) == 2


def test_merged_runs_render_one_table(run, tmp_path):
    """A --threads 1 run and a --threads default run, merged: both rows in the README table, both loads."""
    paths = []
    for setting, load in (("1", 0.5), ("default", 3.5)):
        data = _fake_result(0.7, 2.0)
        for r in data["rows"]:
            r["setting"] = setting
        data["env"] = {"cpu_count": 2, "python": "3", "numpy": "2", "scipy": "1", "machine": "x", "commit": "abc",
                       "loadavg_1m": load, "loadavg_1m_end": load, "seconds": 1.0}
        data["args"] = {"threads": [setting], "repeats": 5, "min_time": 0.1}
        paths.append(tmp_path / f"{setting}.json")
        paths[-1].write_text(json.dumps(data))
    merged = run.merge_results([str(p) for p in paths])
    assert len(merged["rows"]) == 4 and len(merged["env"]["runs"]) == 2
    assert merged["args"]["threads"] == ["1", "default"] and len(merged["checks"]) == 1     # the same check once
    table = run.readme_table(merged)
    assert "| 1 | 1 ms |" in table and "| 1 (default) | 1 ms |" in table
    assert "load average 0.5 at the start" in table and "load average 3.5 at the start" in table


def test_every_rows_pattern_in_the_readme_names_rows_of_the_table(run):
    """The README's rerun commands are what an outsider types: each ``--rows`` pattern there must match a
    row (a renamed row would leave the command timing nothing, and the parser refuses it)."""
    import re
    text = (ROOT / "README.md").read_text()
    patterns = re.findall(r"benchmarks/run\.py[^\n`]*?--rows '([^']+)'", text)
    assert len(patterns) >= 4
    for pattern in patterns:
        assert run.parse_args(["--rows", pattern]).only, pattern
        names = [run._row_name(b, c) for b in ("twolayer", "deep") for g in run._cases(b, False, pattern) for c in g]
        assert names, pattern
