"""Tests of cstheory/exercises: stubs are "not implemented", teacher solutions pass, and each classic
mistake is rejected with ITS OWN hint.

The teacher's solutions below are written independently of the library (explicit loops, dense
matrices, gradient descent run step by step, the DFT written as a matrix, Σ(U) entry by entry);
each classic mistake is a student function with one thing wrong, and must be rejected with the
key (and so the hint) of that very mistake — not merely rejected.  Checks run in-process with the
exercises' own settings (50 derandomized examples), so these verdicts are exactly what a student
gets; the sandbox, the command line and batch grading are tested in test_exercises_sandbox.py.
"""
import functools
import json
import math
import pathlib
import pkgutil
import sys
import textwrap

import numpy as np
import pytest

import cstheory as cst
from cstheory import exercises
from cstheory.exercises import UsageError
from cstheory.exercises._formatting import format_value

NAMES = list(exercises.EXERCISES)

# ---------------------------------------------------------------------------
# the teacher's solutions (also written to files for the sandboxed checks)
# ---------------------------------------------------------------------------
TEACHER_SOURCE = textwrap.dedent('''
    import math

    import numpy as np


    def _v(k):
        return np.array([1.0] * (k // 2) + [-1.0] * (k // 2)) / math.sqrt(k)


    def jacobian(U, C):
        n, k = C.shape
        v = _v(k)
        J = np.zeros((n, n * k))
        for l in range(k):
            z = U @ C[:, l]
            for i in range(n):
                if z[i] > 0:
                    for j in range(n):
                        J[i, l * n + j] = v[l] * U[i, j]
        return J


    def min_norm(A, J, y):
        M = A @ J
        return M.T @ np.linalg.solve(M @ M.T, y)


    def sigma_weights(u):
        """Build Σ(U) entry by entry (App. B) and read σ² off the diagonal of Wᵀ Σ W."""
        n = len(u)
        U = np.array([[u[(i - j) % n] for j in range(n)] for i in range(n)])
        S = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                a, b = np.linalg.norm(U[i]), np.linalg.norm(U[j])
                rho = min(1.0, max(-1.0, float(U[i] @ U[j]) / (a * b)))
                S[i, j] = a * b * 0.5 * (1.0 - math.acos(rho) / math.pi) * rho
        W = np.zeros((n, n))                       # eq. (10), written out
        for i in range(n):
            for t in range(n):
                if i == 0:
                    W[t, i] = 1.0
                elif 2 * i == n:
                    W[t, i] = (-1.0) ** t
                elif i < n / 2:
                    W[t, i] = math.sqrt(2) * math.cos(2 * math.pi * t * i / n)
                else:
                    W[t, i] = math.sqrt(2) * math.sin(2 * math.pi * t * i / n)
        W /= math.sqrt(n)
        return np.sqrt(np.abs(np.diag(W.T @ S @ W)))


    def gradient(U, C, A, y):
        n, k = C.shape
        v = _v(k)
        x = np.zeros(n)
        for l in range(k):
            x += v[l] * np.maximum(U @ C[:, l], 0.0)
        r = A.T @ (A @ x - y)
        G = np.zeros((n, k))
        for l in range(k):
            mask = (U @ C[:, l] > 0).astype(float)
            G[:, l] = v[l] * (U.T @ (mask * r))
        return G


    def linear_residuals(J, r0, step_size, steps):
        """Run gradient descent on the residual, r <- r - eta J J^T r, and record the asked-for steps."""
        steps = list(steps)
        T = max(steps)
        history = [np.array(r0, dtype=float)]
        for _ in range(T):
            r = history[-1]
            history.append(r - step_size * (J @ (J.T @ r)))
        return np.array([history[t] for t in steps])


    def theorem1_bound(J, x, m):
        """Eigen-decomposition of J J^T (sigma_i^2 and w_i), sorted decreasingly, 1-based tail i > 2m/3."""
        lam, W = np.linalg.eigh(J @ J.T)
        order = np.argsort(lam)[::-1]
        lam, W = lam[order], W[:, order]
        n = len(lam)
        energy = sum((W[:, i] @ x) ** 2 / lam[i] for i in range(n))
        tail = sum(lam[i - 1] for i in range(1, n + 1) if i > 2 * m / 3)
        return float(energy * tail)


    def channel_norm_vjp(a, scale, g, eps):
        """Chain rule through z_j = (a_j - mu)/sd written entry by entry, one channel at a time."""
        k, s = a.shape
        da = np.zeros_like(a)
        dscale = np.zeros(k)
        dshift = np.zeros(k)
        for c in range(k):
            mu = sum(a[c]) / s
            var = sum((a[c, j] - mu) ** 2 for j in range(s)) / s
            sd = math.sqrt(var + eps)
            z = [(a[c, j] - mu) / sd for j in range(s)]
            for l in range(s):
                total = 0.0
                for j in range(s):
                    dz = ((1.0 if j == l else 0.0) - 1.0 / s) / sd - z[j] * z[l] / (s * sd)
                    total += scale[c] * g[c, j] * dz
                da[c, l] = total
            dscale[c] = sum(g[c, j] * z[j] for j in range(s))
            dshift[c] = sum(g[c])
        return da, dscale, dshift


    def subsampled_fourier_adjoint(mask, r):
        """Build the real 2m x hw matrix of A from the DFT formula, then apply its transpose."""
        h, w = mask.shape
        rows_re, rows_im = [], []
        for k1 in range(h):
            for k2 in range(w):
                if mask[k1, k2]:
                    row = np.array([[np.exp(-2j * np.pi * (k1 * p / h + k2 * q / w)) for q in range(w)]
                                    for p in range(h)]).reshape(-1) / math.sqrt(h * w)
                    rows_re.append(row.real)
                    rows_im.append(row.imag)
        A = np.array(rows_re + rows_im)
        return A.T @ r
''')
teacher = {}
exec(compile(TEACHER_SOURCE, "teacher.py", "exec"), teacher)
_v = teacher["_v"]


# ---------------------------------------------------------------------------
# the classic mistakes, as students write them (key = the Mistake they must be recognised as)
# ---------------------------------------------------------------------------
def _blocks(U, C, left=None, mask_with=None, act=None, v=None):
    n, k = C.shape
    v = _v(k) if v is None else v
    left = U if left is None else left
    mask_with = U if mask_with is None else mask_with
    act = (lambda z: (z > 0).astype(float)) if act is None else act
    return np.concatenate([v[l] * act(mask_with @ C[:, l])[:, None] * left for l in range(k)], axis=1)


def jacobian_Ut_block(U, C):                # eq. (20) prints the transpose: Uᵀ on the wrong side
    return _blocks(U, C, left=U.T)


def jacobian_Ut_mask(U, C):
    return _blocks(U, C, mask_with=U.T)


def jacobian_Ut_both(U, C):
    return _blocks(U, C, left=U.T, mask_with=U.T)


def jacobian_row_major(U, C):               # vec by rows of C: column j*k + l
    n, k = C.shape
    J = teacher["jacobian"](U, C)
    out = np.zeros_like(J)
    for l in range(k):
        for j in range(n):
            out[:, j * k + l] = J[:, l * n + j]
    return out


def jacobian_missing_v(U, C):
    return _blocks(U, C, v=np.ones(C.shape[1]))


def jacobian_v_without_sqrt(U, C):
    k = C.shape[1]
    return _blocks(U, C, v=np.array([1.0] * (k // 2) + [-1.0] * (k // 2)))


def jacobian_v_signs_swapped(U, C):
    return _blocks(U, C, v=-_v(C.shape[1]))


def jacobian_relu_not_derivative(U, C):
    return _blocks(U, C, act=lambda z: np.maximum(z, 0.0))


def jacobian_transposed(U, C):
    return teacher["jacobian"](U, C).T


def min_norm_two_pinvs(A, J, y):            # J^† A^† y: feasible, not minimal
    return np.linalg.pinv(J) @ (np.linalg.pinv(A) @ y)


def min_norm_wrong_system(A, J, y):         # least squares of J c = Aᵀ y
    return np.linalg.lstsq(J, A.T @ y, rcond=None)[0]


def min_norm_first_gd_step(A, J, y):
    return (A @ J).T @ y


def min_norm_returns_w(A, J, y):
    M = A @ J
    return np.linalg.solve(M @ M.T, y)


def min_norm_plus_null_vector(A, J, y):     # feasible, not minimal (the judge's diagnosis)
    M = A @ J
    _, s, Vt = np.linalg.svd(M)
    null = Vt[np.sum(s > 1e-12 * s[0]):]
    return teacher["min_norm"](A, J, y) + null.sum(axis=0)


def min_norm_gd_stopped_early(A, J, y):     # gradient descent from 0, but only 20 steps
    M = A @ J
    c = np.zeros(M.shape[1])
    eta = 1.0 / np.linalg.norm(M, 2) ** 2
    for _ in range(20):
        c = c - eta * M.T @ (M @ c - y)
    return c


def min_norm_padded_signal(A, J, y):        # x̂ = A^† y padded with zeros: neither feasible nor in the row space
    x = np.linalg.pinv(A) @ y
    return np.concatenate([x, np.zeros(J.shape[1] - len(x))])


def min_norm_zeros(A, J, y):                  # an unfinished function
    return np.zeros(J.shape[1])


def _sigma(u, g, convolution=False, power=0.5, norm=True):
    """σ from the DFT sum written out, with one knob per mistake."""
    n = len(u)
    if convolution:
        corr = [sum(u[(d - l) % n] * u[l] for l in range(n)) for d in range(n)]
    else:
        corr = [sum(u[(l + d) % n] * u[l] for l in range(n)) for d in range(n)]
    nrm2 = float(u @ u)
    rho = [min(1.0, max(-1.0, c / nrm2)) for c in corr]
    lam = np.array([abs(sum(g(rho[d]) * np.exp(-2j * np.pi * i * d / n) for d in range(n))) for i in range(n)])
    lam = lam * (nrm2 if norm else 1.0)
    return lam**power


def _g(z):
    return 0.5 * (1.0 - math.acos(z) / math.pi) * z


def sigma_correct_fourier(u):               # a second, correct route (accepted)
    return _sigma(u, _g)


def sigma_missing_half(u):
    return _sigma(u, lambda z: (1.0 - math.acos(z) / math.pi) * z)


def sigma_two_pi(u):                        # 1 − acos/(2π)
    return _sigma(u, lambda z: 0.5 * (1.0 - math.acos(z) / (2 * math.pi)) * z)


def sigma_missing_z(u):
    return _sigma(u, lambda z: 0.5 * (1.0 - math.acos(z) / math.pi))


def sigma_convolution(u):                   # eq. (11) as printed: u ⊛ u
    return _sigma(u, _g, convolution=True)


def sigma_squared(u):
    return _sigma(u, _g, power=1.0)


def sigma_missing_norm(u):
    return _sigma(u, _g, norm=False)


def sigma_sorted_descending(u):
    return np.sort(_sigma(u, _g))[::-1]


def sigma_eigvalsh_order(u):                # eigenvalues of Σ(U) from eigvalsh: ascending
    return np.sort(_sigma(u, _g))


def sigma_frequency_order(u):
    return _sigma(u, _g)[cst.frequency_order(len(u))]


def _grad(U, C, A, y, left=None, mask="derivative", sign=1.0, scale=1.0, v=None):
    n, k = C.shape
    v = _v(k) if v is None else v
    x = np.maximum(U @ C, 0.0) @ _v(k)
    r = A.T @ (A @ x - y)
    left = U.T if left is None else left
    G = np.zeros((n, k))
    for l in range(k):
        z = U @ C[:, l]
        m = {"derivative": (z > 0).astype(float), "none": np.ones(n), "relu": np.maximum(z, 0.0)}[mask]
        G[:, l] = sign * scale * v[l] * (left @ (m * r))
    return G


def gradient_missing_Ut(U, C, A, y):
    return _grad(U, C, A, y, left=U)


def gradient_missing_mask(U, C, A, y):
    return _grad(U, C, A, y, mask="none")


def gradient_relu_not_derivative(U, C, A, y):
    return _grad(U, C, A, y, mask="relu")


def gradient_sign_error(U, C, A, y):
    return _grad(U, C, A, y, sign=-1.0)


def gradient_factor_two(U, C, A, y):        # the gradient of ‖·‖² instead of ½‖·‖²
    return _grad(U, C, A, y, scale=2.0)


def gradient_mean_loss(U, C, A, y):         # loss = mean over the m measurements
    return _grad(U, C, A, y, scale=1.0 / len(y))


def gradient_missing_v(U, C, A, y):
    return _grad(U, C, A, y, v=np.ones(C.shape[1]))


def _lr_svd(J, r0, step_size, steps, power=2, factor=1.0, sign=-1.0, shift=0, complete=True):
    W, s, _ = np.linalg.svd(J, full_matrices=False)
    rows = []
    for t in steps:
        d = (1.0 + sign * factor * step_size * s**power) ** (t + shift)
        row = sum(d[i] * W[:, i] * (W[:, i] @ r0) for i in range(len(s)))
        if complete:
            row = row + r0 - W @ (W.T @ r0)
        rows.append(row)
    return np.array(rows)


def residuals_thin_svd(J, r0, step_size, steps):
    return _lr_svd(J, r0, step_size, steps, complete=False)


def residuals_sigma_not_squared(J, r0, step_size, steps):
    return _lr_svd(J, r0, step_size, steps, power=1)


def residuals_factor_two(J, r0, step_size, steps):
    return _lr_svd(J, r0, step_size, steps, factor=2.0)


def residuals_plus_sign(J, r0, step_size, steps):
    return _lr_svd(J, r0, step_size, steps, sign=1.0)


def residuals_off_by_one(J, r0, step_size, steps):
    return _lr_svd(J, r0, step_size, steps, shift=1)


def residuals_sorted_steps(J, r0, step_size, steps):
    return teacher["linear_residuals"](J, r0, step_size, sorted(steps))


def residuals_transposed(J, r0, step_size, steps):
    return teacher["linear_residuals"](J, r0, step_size, steps).T


def _t1(J, x, m, first=None, tail_power=2, energy_power=2, ascending=False, pick=None):
    W, s, _ = np.linalg.svd(J)
    energy = float(np.sum((W.T @ x) ** 2 / s**energy_power))
    s = np.sort(s) if ascending else s
    tail = s[(2 * m) // 3:] if pick is None else pick(s, m)
    return energy * float(np.sum(tail**tail_power))


def bound_tail_ceil(J, x, m):               # 0-based s[ceil(2m/3):]: one late when 3 ∤ 2m
    return _t1(J, x, m, pick=lambda s, m: s[math.ceil(2 * m / 3):])


def bound_tail_one_early(J, x, m):          # a 1-based index used as 0-based, minus one
    return _t1(J, x, m, pick=lambda s, m: s[max(0, (2 * m) // 3 - 1):])


def bound_tail_after_m(J, x, m):
    return _t1(J, x, m, pick=lambda s, m: s[m:])


def bound_head(J, x, m):
    return _t1(J, x, m, pick=lambda s, m: s[:(2 * m) // 3])


def bound_all_sigmas(J, x, m):
    return _t1(J, x, m, pick=lambda s, m: s)


def bound_tail_not_squared(J, x, m):
    return _t1(J, x, m, tail_power=1)


def bound_energy_sigma_not_squared(J, x, m):
    return _t1(J, x, m, energy_power=1)


def bound_eigvalsh_ascending(J, x, m):      # eigvalsh of J Jᵀ: ascending, tail taken as if sorted down
    lam, W = np.linalg.eigh(J @ J.T)
    energy = float(np.sum((W.T @ x) ** 2 / lam))
    return energy * float(np.sum(lam[(2 * m) // 3:]))


def _cn(a, scale, g, eps, axis=1, ddof=0, use_eps=True, mean_term=True, var_term=True, use_scale=True,
        reduce="sum"):
    a = np.moveaxis(a, axis, 1)
    g = np.moveaxis(g, axis, 1)
    s = a.shape[1]
    mu = a.mean(axis=1, keepdims=True)
    var = ((a - mu) ** 2).sum(axis=1, keepdims=True) / (s - ddof)
    sd = np.sqrt(var + eps) if use_eps else np.sqrt(var)
    z = (a - mu) / sd
    gg = (scale[:, None] if use_scale else 1.0) * np.moveaxis(np.moveaxis(g, 1, axis), axis, 1) \
        if axis == 1 else (scale[:, None] * np.moveaxis(g, 1, 0)).T
    da = gg
    if mean_term:
        da = da - gg.mean(axis=1, keepdims=True)
    if var_term:
        da = da - z * (z * gg).sum(axis=1, keepdims=True) / (s - ddof)
    da = da / sd
    red = np.sum if reduce == "sum" else np.mean
    return np.moveaxis(da, 1, axis), red(g * z, axis=1), red(g, axis=1)


def cn_constant_statistics(a, scale, g, eps):
    return _cn(a, scale, g, eps, mean_term=False, var_term=False)


def cn_missing_variance_term(a, scale, g, eps):
    return _cn(a, scale, g, eps, var_term=False)


def cn_missing_mean_term(a, scale, g, eps):
    return _cn(a, scale, g, eps, mean_term=False)


def cn_unbiased_variance(a, scale, g, eps):
    return _cn(a, scale, g, eps, ddof=1)


def cn_missing_eps(a, scale, g, eps):
    return _cn(a, scale, g, eps, use_eps=False)


def cn_missing_scale(a, scale, g, eps):
    return _cn(a, scale, g, eps, use_scale=False)


def cn_mean_for_parameters(a, scale, g, eps):
    return _cn(a, scale, g, eps, reduce="mean")


def cn_wrong_axis(a, scale, g, eps):        # statistics over the channels: axis 0
    return _cn(a, scale, g, eps, axis=0)


def _adj(mask, r, transform=np.fft.ifft2, norm="ortho", sign=1.0, layout="stacked", order="C", shift=False,
         part=np.real, flat=True):
    h, w = mask.shape
    m = int(mask.sum())
    c = (r[:m] + sign * 1j * r[m:]) if layout == "stacked" else (r[0::2] + sign * 1j * r[1::2])
    K = np.zeros((h, w), dtype=complex)
    positions = [(i, j) for i in range(h) for j in range(w)] if order == "C" else \
        [(i, j) for j in range(w) for i in range(h)]
    for value, (i, j) in zip(c, [p for p in positions if mask[p]]):
        K[i, j] = value
    if shift:
        K = np.fft.ifftshift(K)
    img = part(transform(K, norm=norm))
    return img.reshape(-1) if flat else img


def adjoint_unnormalised_ifft(mask, r):
    return _adj(mask, r, norm="backward")


def adjoint_fft2(mask, r):
    return _adj(mask, r, transform=np.fft.fft2)


def adjoint_conjugate_sign(mask, r):        # r_re − i r_im: the same numbers as fft2 (see the hint)
    return _adj(mask, r, sign=-1.0)


def adjoint_interleaved(mask, r):
    return _adj(mask, r, layout="interleaved")


def adjoint_column_major(mask, r):
    return _adj(mask, r, order="F")


def adjoint_fftshift(mask, r):
    return _adj(mask, r, shift=True)


def adjoint_magnitude(mask, r):
    return _adj(mask, r, part=np.abs)


def adjoint_image(mask, r):
    return _adj(mask, r, flat=False)


def adjoint_complex(mask, r):               # forgot the real part
    return _adj(mask, r, part=lambda z: z)


def adjoint_doubled(mask, r):               # not one of the classic mistakes: the adjoint identity speaks
    return 2.0 * teacher["subsampled_fourier_adjoint"](mask, r)


def _alternating(k):
    return np.array([(-1.0) ** i for i in range(k)]) / math.sqrt(k)


def jacobian_mask_from_C(U, C):             # 1(c_l > 0) for the mask
    return _blocks(U, C, mask_with=np.eye(len(U)))


def jacobian_v_alternating(U, C):
    return _blocks(U, C, v=_alternating(C.shape[1]))


def gradient_mask_from_C(U, C, A, y):
    n, k = C.shape
    v = _v(k)
    r = A.T @ (A @ (np.maximum(U @ C, 0.0) @ v) - y)
    return np.stack([v[l] * (U.T @ ((C[:, l] > 0) * r)) for l in range(k)], axis=1)


def gradient_v_alternating(U, C, A, y):     # v = [+, −, +, −]/√k in the model and in its gradient
    n, k = C.shape
    v = _alternating(k)
    r = A.T @ (A @ (np.maximum(U @ C, 0.0) @ v) - y)
    return np.stack([v[l] * (U.T @ ((U @ C[:, l] > 0) * r)) for l in range(k)], axis=1)


def sigma_np_correlate(u):                  # ρ from np.correlate: not circular
    n = len(u)
    rho = np.clip(np.correlate(u, u, "full")[n - 1:] / float(u @ u), -1.0, 1.0)
    g = 0.5 * (1.0 - np.arccos(rho) / math.pi) * rho
    return math.sqrt(float(u @ u)) * np.sqrt(np.abs(np.fft.fft(g)))


def min_norm_float32(A, J, y):              # the right formula, in single precision
    M = (A @ J).astype(np.float32)
    return M.T @ np.linalg.solve(M @ M.T, y.astype(np.float32))


def min_norm_column(A, J, y):               # y as a column: an (N, 1) answer
    M = A @ J
    return M.T @ np.linalg.solve(M @ M.T, y[:, None])


MISTAKES = [
    ("jacobian", jacobian_Ut_block, "Ut_block"),
    ("jacobian", jacobian_Ut_mask, "Ut_mask"),
    ("jacobian", jacobian_Ut_both, "Ut_both"),
    ("jacobian", jacobian_row_major, "row_major"),
    ("jacobian", jacobian_missing_v, "missing_v"),
    ("jacobian", jacobian_v_without_sqrt, "v_without_sqrt"),
    ("jacobian", jacobian_v_signs_swapped, "v_signs_swapped"),
    ("jacobian", jacobian_relu_not_derivative, "relu_not_derivative"),
    ("jacobian", jacobian_transposed, "transposed"),
    ("jacobian", jacobian_mask_from_C, "mask_from_C"),
    ("jacobian", jacobian_v_alternating, "v_alternating"),
    ("min_norm", min_norm_two_pinvs, "two_pinvs"),
    ("min_norm", min_norm_wrong_system, "wrong_system"),
    ("min_norm", min_norm_first_gd_step, "first_gd_step"),
    ("min_norm", min_norm_returns_w, "normal_equations_w"),
    ("min_norm", min_norm_plus_null_vector, "non_minimal"),
    ("min_norm", min_norm_gd_stopped_early, "gd_not_converged"),
    ("min_norm", min_norm_padded_signal, "infeasible"),
    ("min_norm", min_norm_zeros, "zero"),
    ("min_norm", min_norm_float32, "float32_precision"),
    ("min_norm", min_norm_column, "extra_axis"),
    ("sigma_weights", sigma_convolution, "convolution"),
    ("sigma_weights", sigma_missing_half, "missing_half"),
    ("sigma_weights", sigma_two_pi, "two_pi"),
    ("sigma_weights", sigma_missing_z, "missing_z"),
    ("sigma_weights", sigma_squared, "squared"),
    ("sigma_weights", sigma_missing_norm, "missing_norm"),
    ("sigma_weights", sigma_sorted_descending, "sorted_descending"),
    ("sigma_weights", sigma_eigvalsh_order, "sorted_ascending"),
    ("sigma_weights", sigma_frequency_order, "frequency_order"),
    ("sigma_weights", sigma_np_correlate, "linear_correlation"),
    ("gradient", gradient_missing_Ut, "missing_Ut"),
    ("gradient", gradient_missing_mask, "missing_mask"),
    ("gradient", gradient_relu_not_derivative, "relu_not_derivative"),
    ("gradient", gradient_sign_error, "sign"),
    ("gradient", gradient_factor_two, "factor_two"),
    ("gradient", gradient_mean_loss, "mean_loss"),
    ("gradient", gradient_missing_v, "missing_v"),
    ("gradient", gradient_mask_from_C, "mask_from_C"),
    ("gradient", gradient_v_alternating, "v_alternating"),
    ("linear_residuals", residuals_thin_svd, "thin_svd_only"),
    ("linear_residuals", residuals_sigma_not_squared, "sigma_not_squared"),
    ("linear_residuals", residuals_factor_two, "factor_two"),
    ("linear_residuals", residuals_plus_sign, "plus_sign"),
    ("linear_residuals", residuals_off_by_one, "off_by_one"),
    ("linear_residuals", residuals_sorted_steps, "sorted_steps"),
    ("linear_residuals", residuals_transposed, "transposed"),
    ("theorem1_bound", bound_tail_ceil, "tail_one_late"),
    ("theorem1_bound", bound_tail_one_early, "tail_one_early"),
    ("theorem1_bound", bound_tail_after_m, "tail_after_m"),
    ("theorem1_bound", bound_head, "head_not_tail"),
    ("theorem1_bound", bound_all_sigmas, "all_sigmas"),
    ("theorem1_bound", bound_tail_not_squared, "tail_not_squared"),
    ("theorem1_bound", bound_energy_sigma_not_squared, "energy_sigma_not_squared"),
    ("theorem1_bound", bound_eigvalsh_ascending, "ascending_order"),
    ("channel_norm_vjp", cn_constant_statistics, "constant_statistics"),
    ("channel_norm_vjp", cn_missing_variance_term, "missing_variance_term"),
    ("channel_norm_vjp", cn_missing_mean_term, "missing_mean_term"),
    ("channel_norm_vjp", cn_unbiased_variance, "unbiased_variance"),
    ("channel_norm_vjp", cn_missing_eps, "missing_eps"),
    ("channel_norm_vjp", cn_missing_scale, "missing_scale"),
    ("channel_norm_vjp", cn_mean_for_parameters, "mean_for_parameters"),
    ("channel_norm_vjp", cn_wrong_axis, "wrong_axis"),
    ("subsampled_fourier_adjoint", adjoint_unnormalised_ifft, "unnormalised_ifft"),
    ("subsampled_fourier_adjoint", adjoint_fft2, "forward_fft"),
    ("subsampled_fourier_adjoint", adjoint_conjugate_sign, "forward_fft"),
    ("subsampled_fourier_adjoint", adjoint_interleaved, "interleaved"),
    ("subsampled_fourier_adjoint", adjoint_column_major, "column_major"),
    ("subsampled_fourier_adjoint", adjoint_fftshift, "fftshift"),
    ("subsampled_fourier_adjoint", adjoint_magnitude, "magnitude"),
    ("subsampled_fourier_adjoint", adjoint_image, "not_flattened"),
    ("subsampled_fourier_adjoint", adjoint_complex, "complex_result"),
    ("subsampled_fourier_adjoint", adjoint_doubled, "not_adjoint"),
]
#: diagnoses that are not entries of an exercise's MISTAKES list (a judge's, or a returned type's)
OTHER_KEYS = {"non_minimal", "gd_not_converged", "infeasible", "zero", "complex_result", "not_adjoint",
              "float32_precision", "extra_axis"}


@functools.lru_cache(maxsize=None)
def checked(name, func):
    """exercises.check(name, func), once per session (several tests look at the same verdict)."""
    return exercises.check(name, func)


@pytest.fixture(scope="session", autouse=True)
def _verdicts_of_this_session():
    """Forget the verdicts of an earlier session in this process (pytest.main run twice, as mutation testing
    does once per mutant): each session judges with the code it imports."""
    checked.cache_clear()
    yield


def _hint_of(name, key):
    ex = exercises.get(name)
    if key == "complex_result":
        return ex.complex_hint
    return {m.key: m.hint for m in ex.mistakes}.get(key)


# ---------------------------------------------------------------------------
# listing and text
# ---------------------------------------------------------------------------
def test_the_registry_is_every_exercise_module_in_teaching_order():
    """EXERCISES is discovered: one entry per public module of the package, ordered by position."""
    modules = {m.name for m in pkgutil.iter_modules(exercises.__path__) if not m.name.startswith("_")}
    assert set(exercises.EXERCISES) == modules and len(modules) >= 10
    positions = [ex.position for ex in exercises.EXERCISES.values()]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert NAMES[:3] == ["jacobian", "min_norm", "sigma_weights"] and NAMES.index("gradient") > 2
    with pytest.raises(TypeError):
        exercises.EXERCISES["extra"] = exercises.get("jacobian")       # read-only
    for name, ex in exercises.EXERCISES.items():
        assert ex.name == name and "\n" not in ex.summary and ex.summary and ex.brief and ex.shape
        assert ex.equation.startswith(("eq. (", "Sec. ", "App. ")), ex.equation
        assert ex.title == f"Exercise '{name}': {ex.summary}, {ex.equation}"
        assert f"``{name}``" in exercises.__doc__ and ex.summary in exercises.__doc__


def test_list_get_show():
    assert exercises.list_exercises() == NAMES
    for name in NAMES:
        ex = exercises.get(name)
        assert ex.name == name and ex.function in ex.stub and ex.summary
        text = exercises.show(name)
        assert ("eq. (" in text or "Sec. 5" in text) and f"def {ex.function}(" in text
        assert "NotImplementedError" in text
        compile(text, f"{name}.py", "exec")  # `show > file.py` gives a valid Python file


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=", ".join(NAMES)):
        exercises.get("jacobain")
    with pytest.raises(UsageError):
        exercises.show("nope")


def test_every_listed_mistake_has_a_student_who_makes_it():
    """Each hint is triggered by a test below: the keys of MISTAKES cover every exercise's list.  An exercise
    not listed here has its own tests/test_exercise_NAME.py (teacher solution and students)."""
    here = {ex for ex, _, _ in MISTAKES}
    for name in NAMES:
        if name not in here:
            assert (pathlib.Path(__file__).parent / f"test_exercise_{name}.py").is_file(), name
            continue
        listed = {m.key for m in exercises.get(name).mistakes}
        tested = {key for ex, _, key in MISTAKES if ex == name}
        assert listed <= tested, f"{name}: no student makes {sorted(listed - tested)}"
        assert tested - listed <= OTHER_KEYS


def test_hints_are_specific():
    """Within an exercise no two diagnoses share a hint, and the NaN hint is none of them."""
    for name in NAMES:
        ex = exercises.get(name)
        hints = [m.hint for m in ex.mistakes] + [ex.nan_hint, ex.default_hint, ex.complex_hint]
        assert len(set(hints)) == len(hints), name


# ---------------------------------------------------------------------------
# verdicts (in-process: exactly the hypothesis run a student's file gets)
# ---------------------------------------------------------------------------
def _sizes(name, inputs):
    """The sizes of the drawn inputs whose parity matters."""
    if name in ("jacobian", "gradient"):
        return [inputs["U"].shape[0]]
    if name == "sigma_weights":
        return [inputs["u"].shape[0]]
    if name == "min_norm":
        return list(inputs["A"].shape) + [inputs["J"].shape[1]]
    if name in ("linear_residuals", "theorem1_bound"):
        return list(inputs["J"].shape)
    if name == "channel_norm_vjp":
        return [inputs["a"].shape[1]]
    return list(inputs["mask"].shape)


@pytest.mark.parametrize("name", [n for n in NAMES if n in teacher])
def test_teacher_solution_is_accepted_on_odd_and_even_sizes(name):
    ex = exercises.get(name)
    seen = []

    def recording(*args):
        seen.append(_sizes(name, dict(zip(ex.example(), args))))
        return teacher[name](*args)

    result = exercises.check(name, recording)
    assert result.accepted, result.report()
    assert result.exit_code == 0 and result.verdict == "accepted" and "ACCEPTED" in result.report()
    assert {s % 2 for sizes in seen for s in sizes} == {0, 1}    # the checker draws odd and even sizes


def test_second_correct_route_for_sigma_is_accepted():
    result = exercises.check("sigma_weights", sigma_correct_fourier)
    assert result.accepted, result.report()


@pytest.mark.parametrize("name, func, key", MISTAKES, ids=[f.__name__ for _, f, _ in MISTAKES])
def test_classic_mistake_gets_its_own_hint(name, func, key):
    result = checked(name, func)
    assert not result.accepted and not result.not_implemented and result.exit_code == 1
    assert result.verdict == "rejected"
    assert result.mistake == key, result.report()
    expected_hint = _hint_of(name, key)
    if expected_hint is not None:
        assert result.hint == expected_hint
    report = result.report()
    assert "REJECTED" in report and "Counterexample" in report and result.hint in report
    for arg, value in result.inputs.items():
        assert f"  {arg} =\n{format_value(value)}" in report
    if key == "complex_result":
        return
    # the counterexample really is one: the mistake differs from the library there
    ex = exercises.get(name)
    with np.errstate(all="ignore"):
        got = func(**result.inputs)
    assert not ex.close(ex.convert(got, result.expected)[0] if ex.outputs else np.asarray(got, dtype=float),
                        ex.expected(result.inputs))
    # Uᵀ ≠ U and u ⊛ u ≠ u ⋆ u need an asymmetric kernel: the shrunk counterexample has one
    if func in (jacobian_Ut_block, jacobian_Ut_mask, gradient_missing_Ut):
        assert not np.allclose(result.inputs["U"], result.inputs["U"].T)
    if func is sigma_convolution:
        u = result.inputs["u"]
        assert not np.allclose(u, np.roll(u[::-1], 1))


def test_mean_loss_is_not_told_relu():
    """The misdiagnosis of the issue: a loss divided by m was told "ReLU instead of ReLU′"."""
    result = checked("gradient", gradient_mean_loss)
    assert result.mistake == "mean_loss" and "mean" in result.hint and "ReLU instead" not in result.hint


def test_a_coincidence_on_the_counterexample_does_not_name_the_mistake():
    """On a shrunk counterexample where U C = 1/m wherever it is positive, a mean loss and "ReLU
    instead of ReLU′" give the same numbers; the other wrong answers of the function decide."""
    ex = exercises.get("gradient")
    m = 2
    degenerate = {"U": np.eye(3), "C": np.full((3, 2), 1.0 / m), "A": np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 2.0]]),
                  "y": np.array([1.0, -1.0])}
    got = gradient_mean_loss(**degenerate)
    np.testing.assert_allclose(got, gradient_relu_not_derivative(**degenerate))   # the coincidence
    assert ex.diagnose([(degenerate, got)]).key == "relu_not_derivative"        # alone it misleads
    rng = np.random.default_rng(0)
    generic = []
    for n, k, m in [(4, 2, 3), (5, 4, 2)]:
        inputs = {"U": rng.standard_normal((n, n)), "C": rng.standard_normal((n, k)),
                  "A": rng.standard_normal((m, n)), "y": rng.standard_normal(m)}
        generic.append((inputs, gradient_mean_loss(**inputs)))
    assert ex.diagnose([(degenerate, got)] + generic).key == "mean_loss"


def test_gradient_descent_stopped_early_hears_about_convergence():
    result = checked("min_norm", min_norm_gd_stopped_early)
    assert result.mistake == "gd_not_converged"
    assert "converge" in result.hint and "which linear system" not in result.hint
    assert "row space" in result.message


def _solution(name):
    """The teacher's solution where this file has one, else cstheory's reference called like a student's."""
    if name in teacher:
        return teacher[name]
    ex = exercises.get(name)
    return lambda *args: ex.reference(**dict(zip(ex.example(), args)))


@pytest.mark.parametrize("name", NAMES)
def test_nan_hint_speaks_of_the_exercise(name):
    ex = exercises.get(name)

    def with_nan(*args):
        out = _solution(name)(*args)
        if isinstance(out, tuple):
            first = np.array(out[0], dtype=float)
            first.flat[0] = np.nan
            return (first,) + tuple(out[1:])
        out = np.array(out, dtype=float)
        out.flat[0] = np.nan
        return out

    result = exercises.check(name, with_nan, max_examples=10)
    assert not result.accepted and "NaN" in result.message
    assert result.hint == ex.nan_hint
    assert ("acos" in result.hint) == (name == "sigma_weights")


@pytest.mark.parametrize("name", NAMES)
def test_near_miss_is_rejected(name):
    """A relative error of 1e-4 is not "close enough"."""
    def near(*args):
        out = _solution(name)(*args)
        if isinstance(out, tuple):
            return tuple(np.asarray(p) * (1 + 1e-4) for p in out)
        return np.asarray(out) * (1 + 1e-4)

    result = exercises.check(name, near, max_examples=20)
    assert not result.accepted and result.verdict == "rejected" and result.got is not None, result.report()


def test_a_float32_solution_is_told_to_compute_in_float64_with_digits_that_differ():
    """Not "gradient descent stopped early": the formula is right, the precision is not; and the report prints
    Got and Expected with enough digits to tell them apart."""
    result = checked("min_norm", min_norm_float32)
    assert result.mistake == "float32_precision" and "float64" in result.hint and "converge" not in result.hint
    assert "relative error" in result.message and "single precision" in result.message
    report = result.report()
    expected_text = report.split("Expected (cstheory's implementation):\n")[1].split("\n\n")[0]
    got_text = report.split("Got (your function):\n")[1].split("  largest difference")[0].strip("\n")
    assert expected_text != got_text, report


def test_an_n_by_1_answer_is_told_the_general_shape():
    """Not "must have shape (1,)" (the shrunk size) but "(N,) where N = J.shape[1]", and why."""
    result = checked("min_norm", min_norm_column)
    assert result.mistake == "extra_axis"
    assert "(N,) where N = J.shape[1]" in result.hint and "extra axis of length 1" in result.hint
    assert "(N,) where N = J.shape[1]" in result.message


def test_a_scaled_answer_is_not_told_precision():
    """An answer off by a common factor 1 + 1e-5 is a wrong formula, not rounding: no float64 hint."""
    def scaled(A, J, y):
        return teacher["min_norm"](A, J, y) * (1 + 1e-5)
    result = exercises.check("min_norm", scaled, max_examples=20)
    assert not result.accepted and result.mistake != "float32_precision"


def test_complex_result_of_the_adjoint_is_told_to_take_the_real_part():
    result = checked("subsampled_fourier_adjoint", adjoint_complex)
    assert result.mistake == "complex_result" and "real part" in result.hint


def test_adjoint_mismatch_reports_the_adjoint_identity():
    result = checked("subsampled_fourier_adjoint", adjoint_doubled)
    assert result.mistake == "not_adjoint"
    assert "⟨A x, r⟩" in result.message and "not the adjoint" in result.message


def test_checks_are_reproducible():
    a = exercises.check("min_norm", min_norm_wrong_system, max_examples=10)
    b = exercises.check("min_norm", min_norm_wrong_system, max_examples=10)
    assert a.report().split("(hypothesis")[0] == b.report().split("(hypothesis")[0]
    for key in a.inputs:
        np.testing.assert_array_equal(a.inputs[key], b.inputs[key])


def test_a_seed_draws_other_examples_reproducibly():
    def recorder(store):
        def f(u):
            store.append(np.array(u))
            return teacher["sigma_weights"](u)
        return f

    runs = {}
    for label, seed in [("derandomized", None), ("s1", 1), ("s1 again", 1), ("s2", 2)]:
        store = []
        result = exercises.check("sigma_weights", recorder(store), max_examples=10, seed=seed)
        assert result.accepted and result.seed == seed
        runs[label] = [u.tobytes() for u in store]
    assert runs["s1"] == runs["s1 again"]
    assert runs["s1"] != runs["derandomized"] and runs["s1"] != runs["s2"]
    result = exercises.check("sigma_weights", sigma_squared, seed=7)
    assert "seed 7" in result.report() and "--seed 7" in result.report() and "(seed 7)" in result.summary()


def test_wrong_shape_type_and_exceptions_are_rejected_with_a_hint():
    wide = exercises.check("min_norm", lambda A, J, y: np.zeros(J.shape[1] + 1), max_examples=10)
    assert not wide.accepted and "Wrong shape" in wide.message and "shape" in wide.hint

    def crashes(u):
        return u @ np.ones((len(u) + 1,))
    crashed = exercises.check("sigma_weights", crashes, max_examples=10)
    assert not crashed.accepted and "raised an exception" in crashed.message and "ValueError" in crashed.message
    assert "crashes" in crashed.message  # the student's own frame is shown
    assert crashed.summary().startswith("Your function raised ValueError: matmul")
    none = exercises.check("sigma_weights", lambda u: None, max_examples=10)
    assert not none.accepted and "not an array" in none.message
    text = exercises.check("theorem1_bound", lambda J, x, m: "big", max_examples=10)
    assert not text.accepted and "str, not an array" in text.message and "float" in text.hint
    single = exercises.check("channel_norm_vjp", lambda a, scale, g, eps: a, max_examples=10)
    assert not single.accepted and "tuple of 3 arrays" in single.message


def test_exit_in_the_function_is_a_rejection_not_an_exit():
    def exits(u):
        sys.exit(0)
    result = exercises.check("sigma_weights", exits, max_examples=5)
    assert not result.accepted and result.exit_code == 1 and "sys.exit" in result.message


def test_check_rejects_non_callables():
    with pytest.raises(TypeError):
        exercises.check("jacobian", "not a function")


def test_summary_is_one_line():
    result = checked("gradient", gradient_mean_loss)
    line = result.summary()
    assert "\n" not in line and "Hint:" in line and "mean" in line


# ---------------------------------------------------------------------------
# notebooks and the command line helper
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_valid_nbformat_with_the_stub(name, tmp_path):
    nb = exercises.notebook(name)
    code = [c["source"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0].startswith(f"%%writefile {name}.py\n")
    compile(code[0].split("\n", 1)[1], f"{name}.py", "exec")  # the cell body is the stub
    assert f"check_file({name!r}, '{name}.py')" in code[1]
    path = tmp_path / f"{name}.ipynb"
    assert exercises.command(["notebook", name, "--out", str(path)]) == 0
    data = json.loads(path.read_text())
    assert data == json.loads(json.dumps(nb))
    nbformat = pytest.importorskip("nbformat", reason="nbformat validates the notebook's schema when installed")
    nbformat.validate(nbformat.reads(path.read_text(), as_version=4))


def test_command_exit_codes(tmp_path, capsys):
    assert exercises.command(["list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == NAMES and all(len(line.split()) > 2 for line in lines)
    assert exercises.command(["show", "gradient"]) == 0
    stub = capsys.readouterr().out
    path = tmp_path / "my_gradient.py"
    path.write_text(stub)
    assert exercises.command(["check", "gradient", str(path)]) == 1
    assert "not yet implemented" in capsys.readouterr().out
    good = tmp_path / "teacher.py"
    good.write_text(TEACHER_SOURCE)
    assert exercises.command(["check", "sigma_weights", str(good), "--max-examples", "5"]) == 0
    assert "ACCEPTED" in capsys.readouterr().out
    assert exercises.command(["check", "nope", str(good)]) == 2
    err = capsys.readouterr().err              # the names are argparse's choices, read from EXERCISES
    assert "invalid choice: 'nope'" in err and all(repr(name) in err for name in NAMES)
    assert exercises.command(["check", "jacobian", str(tmp_path / "missing.py")]) == 2
    assert exercises.command(["show"]) == 2
    assert exercises.command(["check", "jacobian", str(good), "--max-examples", "x"]) == 2
    err = capsys.readouterr().err     # usage errors are one line that names the argument and points to --help
    assert "error: argument --max-examples" in err and "--help" in err and err.count("\n") <= 3
    assert exercises.command(["notebook", "jacobian", "--out", str(tmp_path / "no" / "such" / "dir.ipynb")]) == 2
    assert exercises.command([]) == 2
    assert exercises.command(["--help"]) == 0
    assert "grade" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# levels: guided (the formula), standard (the object, its shape, the equation), exam (no hints)
# ---------------------------------------------------------------------------
#: what gives the gradient's formula away: Uᵀ, the 0/1 mask 1(·), the entrywise product, r vᵀ, the residual
GRADIENT_FORMULA = ("Uᵀ", "1(", "∘", "vᵀ", "U.T", "r =")


def test_the_exam_statement_of_gradient_has_no_formula():
    guided = exercises.show("gradient")
    assert all(piece in guided for piece in ("Uᵀ", "1(", "∘"))           # guided gives it away
    for level in ("standard", "exam"):
        text = exercises.show("gradient", level)
        assert not [piece for piece in GRADIENT_FORMULA if piece in text], text
        words = " ".join(text.split())
        assert "eq. (9)" in words and "eq. (20)" in words and "n × k" in words and "def gradient(" in text
        assert f"--level {level}" in text
        compile(text, "gradient.py", "exec")


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_has_three_levels(name, tmp_path):
    ex = exercises.get(name)
    guided, standard, exam = (exercises.show(name, level) for level in exercises.LEVELS)
    assert ex.statement.split()[0] in guided.split("\n", 3)[2] and ex.brief.split()[0] in standard
    assert standard != guided and ex.equation.split()[-1] in standard and len(ex.brief) < len(ex.statement)
    nb = exercises.notebook(name, "exam")
    assert "level='exam'" in nb["cells"][3]["source"] and ex.brief.split()[1] in nb["cells"][0]["source"]
    assert nb["cells"][0]["source"].splitlines()[0] == "# " + exam.splitlines()[0].strip('"')   # names the level
    assert "level" not in exercises.notebook(name)["cells"][0]["source"].splitlines()[0]
    with pytest.raises(UsageError, match="level must be one of guided, standard, exam"):
        exercises.show(name, "hard")


@pytest.mark.parametrize("name, func, key", MISTAKES[::4], ids=[f.__name__ for _, f, _ in MISTAKES[::4]])
def test_exam_feedback_names_no_mistake(name, func, key):
    """At the exam level the report and the summary show the counterexample but no hint; the mistake is still
    recorded (for the teacher's CSV)."""
    guided = checked(name, func)
    exam = exercises.check(name, func, level="exam")
    assert exam.mistake == guided.mistake == key and exam.inputs is not None
    hints = [m.hint for m in exercises.get(name).mistakes] + [exercises.get(name).default_hint]
    for text in (exam.report(), exam.summary()):
        assert "Hint" not in text and not [h for h in hints if h and h in text]
    assert "Counterexample" in exam.report() and guided.hint in guided.report()
    if guided.message != exam.message:                # a judge's diagnosis is a hint too
        assert exam.message.startswith(("Wrong values", "Wrong shape"))


def test_the_standard_feedback_gives_no_formula_when_no_mistake_is_recognised():
    """A standard statement withholds the formula, so its feedback must not hand it out: with no mistake
    recognised, guided prints the exercise's generic hint (the formula), standard prints no hint."""
    def gradient(U, C, A, y):
        return np.full(C.shape, 1e-3)                        # no classic mistake: the generic hint

    def transposed(U, C, A, y):
        k = C.shape[1]
        v = np.r_[np.ones(k // 2), -np.ones(k // 2)] / np.sqrt(k)
        Z = U @ C
        return U @ (np.outer(A.T @ (A @ (np.maximum(Z, 0) @ v) - y), v) * (Z > 0))   # U where Uᵀ belongs

    guided, standard = (exercises.check("gradient", gradient, max_examples=10, level=level)
                        for level in ("guided", "standard"))
    assert guided.mistake == standard.mistake == "" and not guided.accepted and not standard.accepted
    assert exercises.get("gradient").default_hint in guided.report()
    for text in (standard.report(), standard.summary()):
        assert "Hint" not in text and not [piece for piece in GRADIENT_FORMULA if piece in text], text
    named = exercises.check("gradient", transposed, max_examples=10, level="standard")
    assert named.mistake == "missing_Ut" and "Hint: missing Uᵀ" in named.report()   # a recognised one is named


def test_command_line_levels(tmp_path, capsys):
    assert exercises.command(["show", "gradient", "--level", "exam"]) == 0
    assert "Uᵀ" not in capsys.readouterr().out
    path = tmp_path / "g.py"
    path.write_text(textwrap.dedent("""
        import numpy as np


        def gradient(U, C, A, y):
            k = C.shape[1]
            v = np.r_[np.ones(k // 2), -np.ones(k // 2)] / np.sqrt(k)
            Z = U @ C
            r = A.T @ (A @ (np.maximum(Z, 0) @ v) - y)
            return U @ (np.outer(r, v) * (Z > 0))          # U where Uᵀ belongs
    """))
    assert exercises.command(["check", "gradient", str(path), "--level", "exam", "--max-examples", "10"]) == 1
    out = capsys.readouterr().out
    assert "REJECTED" in out and "Hint" not in out and "Counterexample" in out
    assert exercises.command(["show", "gradient", "--level", "hard"]) == 2
    assert "invalid choice: 'hard'" in capsys.readouterr().err
