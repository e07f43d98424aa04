"""Exercise ``upsample_adjoint`` (cstheory/exercises/upsample_adjoint.py): the teacher's solution is accepted, the
stub is "not implemented", and each classic mistake, written as a student writes it, is rejected with ITS OWN hint.

The teacher scatters each output sample's cotangent back onto the (at most four) input samples it was
interpolated from — the adjoint read off the forward formula, without forming a matrix."""
import math

import numpy as np
import pytest

from cstheory import exercises

from _exercise_students import assert_every_mistake_has_a_student_and_its_own_hint, assert_student_gets_its_own_hint

NAME = "upsample_adjoint"


def _taps(n_in, n_out, j, align_corners=False, clamp=True, keep_edge=True):
    """[(input index, weight)] of output sample j of 1-D linear interpolation n_in → n_out."""
    if align_corners:
        src = j * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        src = (j + 0.5) * n_in / n_out - 0.5
        if clamp:
            src = max(src, 0.0)
    i0 = min(math.floor(src), n_in - 1)
    lam = src - i0
    taps = [(i0 % n_in, 1.0 - lam)]
    if i0 + 1 < n_in:
        taps.append((i0 + 1, lam))
    elif keep_edge:
        taps.append((n_in - 1, lam))
    return taps


def teacher(g, h, w, **convention):
    k, H, W = g.shape
    out = np.zeros((k, h, w))
    for a in range(H):
        for b in range(W):
            for i, wi in _taps(h, H, a, **convention):
                for j, wj in _taps(w, W, b, **convention):
                    out[:, i, j] += wi * wj * g[:, a, b]
    return out


def downsamples(g, h, w):                    # interpolates g from (H, W) down to (h, w)
    k, H, W = g.shape
    out = np.zeros((k, h, w))
    for i in range(h):
        for j in range(w):
            for a, wa in _taps(H, h, i):
                for b, wb in _taps(W, w, j):
                    out[:, i, j] += wa * wb * g[:, a, b]
    return out


def aligns_corners(g, h, w):
    return teacher(g, h, w, align_corners=True)


def drops_the_edge_weight(g, h, w):
    return teacher(g, h, w, keep_edge=False)


def wraps_at_the_left_edge(g, h, w):
    return teacher(g, h, w, clamp=False)


def nearest_neighbour(g, h, w):
    k, H, W = g.shape
    out = np.zeros((k, h, w))
    for a in range(H):
        for b in range(W):
            out[:, min(h - 1, a * h // H), min(w - 1, b * w // W)] += g[:, a, b]
    return out


def rows_only(g, h, w):
    k, H, W = g.shape
    out = np.zeros((k, h, W))
    for a in range(H):
        for i, wi in _taps(h, H, a):
            out[:, i, :] += wi * g[:, a, :]
    return out


def transposed(g, h, w):
    return np.transpose(teacher(g, h, w), (0, 2, 1))


STUDENTS = [(downsamples, "forward_not_adjoint"), (aligns_corners, "align_corners"),
            (drops_the_edge_weight, "dropped_edge_weight"), (wraps_at_the_left_edge, "edge_wraps"),
            (nearest_neighbour, "nearest"), (rows_only, "one_axis_only"), (transposed, "transposed_image")]


def test_teacher_solution_is_accepted_and_the_stub_is_not():
    ex = exercises.get(NAME)
    seen = []

    def recording(g, h, w):
        seen.append((h, w) + g.shape)
        return teacher(g, h, w)

    result = exercises.check(NAME, recording)
    assert result.accepted, result.report()
    assert {s[0] % 2 for s in seen} == {0, 1} and any(s[3] > s[0] for s in seen) and {s[2] for s in seen} == {1, 2}
    stub = {}
    exec(ex.stub, stub)
    assert exercises.check(NAME, stub["upsample_adjoint"]).not_implemented


def test_every_level_defines_the_upsampling_but_standard_and_exam_not_its_adjoint():
    """The forward convention is the exercise's data, not its answer: every level states it (the half-pixel
    source coordinate, the clamp at 0, the right edge, to which the hints of align_corners, edge_wraps and
    dropped_edge_weight refer), and only guided gives the adjoint's formula."""
    for level in exercises.LEVELS:
        words = " ".join(exercises.show(NAME, level).split())
        assert "src = max((j + 0.5) * n / N - 0.5, 0)" in words and "i1 = min(i0 + 1, n - 1)" in words, level
        assert ("P_hᵀ G P_w" in words) == (level == "guided"), level


def test_the_reference_is_the_adjoint_of_the_deep_decoders_upsampling():
    """⟨U x, g⟩ = ⟨x, Uᵀ g⟩ with U the upsampling the deep decoder runs (cstheory.deep_decoder.upsample)."""
    from cstheory.deep_decoder import interpolation_matrix, upsample
    ex = exercises.get(NAME)
    rng = np.random.default_rng(0)
    for h, w, H, W in [(2, 3, 4, 7), (3, 3, 5, 6), (1, 2, 3, 4)]:
        x, g = rng.standard_normal((2, h, w)), rng.standard_normal((2, H, W))
        up = upsample(x, [interpolation_matrix(h, H), interpolation_matrix(w, W)])
        back = ex.expected({"g": g, "h": h, "w": w})
        assert back.shape == (2, h, w)
        np.testing.assert_allclose(np.sum(up * g), np.sum(x * back), rtol=1e-12)
        np.testing.assert_allclose(back, teacher(g, h, w), atol=1e-13)


@pytest.mark.parametrize("func, key", STUDENTS, ids=[k for _, k in STUDENTS])
def test_classic_mistake_gets_its_own_hint(func, key):
    assert_student_gets_its_own_hint(NAME, func, key)


def test_every_mistake_has_a_student_and_its_own_hint():
    assert_every_mistake_has_a_student_and_its_own_hint(NAME, STUDENTS)
