"""L-BFGS: a quasi-Newton method with a limited memory of past steps, and an optional strong
Wolfe line search."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..autograd import enable_grad
from .optimizer import Optimizer, ParamsT


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``: every call of ``step(closure)`` runs up to
    ``max_iter`` iterations on the full batch that ``closure`` evaluates.

    The parameters are one flat vector x with gradient g. At iteration k (γ = ``lr``; the
    history holds the last ``history_size`` pairs sᵢ = xᵢ₊₁ − xᵢ, yᵢ = gᵢ₊₁ − gᵢ with
    ρᵢ = 1 / yᵢᵀsᵢ, a pair being kept only when yᵢᵀsᵢ > 10⁻¹⁰)::

        d = −g                                          at the very first iteration
        otherwise, the two-loop recursion, d = −H g:
            q ← −g
            for i newest → oldest:  aᵢ = ρᵢ sᵢᵀq;   q ← q − aᵢ yᵢ
            r ← h q,   h = yᵀs / yᵀy of the newest pair kept
            for i oldest → newest:  bᵢ = ρᵢ yᵢᵀr;   r ← r + (aᵢ − bᵢ) sᵢ
            d = r
        t = min(1, 1 / ‖g‖₁) γ at the very first iteration, else t = γ
        stop if gᵀd > −tolerance_change           (d is not a descent direction)
        line_search_fn=None:           x ← x + t d, then re-evaluate loss and g
        line_search_fn="strong_wolfe": t from a strong Wolfe search along d, x ← x + t d

    and the iterations stop when max_iter is reached, when the closure has been called
    max_eval times in this ``step``, when max |g| ≤ tolerance_grad (also tested before the
    first iteration), when max |t d| ≤ tolerance_change, or when the loss changed by less
    than tolerance_change. The direction, step, history and last gradient persist in the
    state between calls of ``step``, so a run may go on over many calls.

    The strong Wolfe search (Nocedal & Wright, *Numerical Optimization*, 2nd ed.,
    Algorithms 3.5 and 3.6) finds t with φ(t) = f(x + t d)::

        φ(t) ≤ φ(0) + c₁ t φ'(0)    and    |φ'(t)| ≤ −c₂ φ'(0),    c₁ = 10⁻⁴, c₂ = 0.9

    by trying growing steps until one satisfies both, or an interval [lo, hi] is known to
    hold such a step (φ(t) fails sufficient decrease, φ rose, or φ'(t) ≥ 0), then shrinking
    that interval ("zoom") with the minimiser of the cubic that fits φ and φ' at both ends
    (bisection when that falls near an end or does not exist); at most 25 evaluations.

    ``step(closure)`` needs the closure: it re-evaluates the model, calls ``backward`` and
    returns the loss; LBFGS calls it with gradient recording on. The return value is the
    loss of the first evaluation, at the parameters as they were.

    Args:
        params: the tensors to optimize (one parameter group only, as in PyTorch).
        lr: learning rate γ, the step along d (the initial step of the line search).
        max_iter: iterations per ``step``.
        max_eval: closure calls per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient entry is at most this.
        tolerance_change: stop when the step or the change of loss is below this.
        history_size: number of (s, y) pairs kept.
        line_search_fn: None (fixed step γ) or ``"strong_wolfe"``.

    Unlike per-parameter optimizers, the state lives under the first parameter, as in
    PyTorch: ``func_evals`` and ``n_iter`` (counts over all calls), ``d``, ``t``,
    ``old_dirs`` (the yᵢ), ``old_stps`` (the sᵢ), ``ro`` (the ρᵢ), ``H_diag`` (h),
    ``prev_flat_grad`` and ``prev_loss``.

    Reference: Liu & Nocedal, "On the limited memory BFGS method for large scale
    optimization", Mathematical Programming 45, 1989.
    """

    _state_kinds = {"func_evals": "count", "n_iter": "count", "t": "number",
                    "H_diag": "number", "prev_loss": "number", "ro": "numbers",
                    "d": "flat", "prev_flat_grad": "flat", "old_dirs": "flats",
                    "old_stps": "flats"}

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        for name, value in (("max_iter", max_iter), ("max_eval", max_eval),
                            ("history_size", history_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Invalid {name} value: {value!r} (must be an integer >= 1)")
        for name, value in (("tolerance_grad", tolerance_grad),
                            ("tolerance_change", tolerance_change)):
            if not value >= 0:
                raise ValueError(f"Invalid {name} value: {value} (must be >= 0)")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"Invalid line_search_fn: {line_search_fn!r} (only None and "
                             "'strong_wolfe' are supported)")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ------------------------------------------------------------ the flat vector

    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([np.zeros(p.data.size, p.dtype) if p._grad is None
                               else np.asarray(p._grad, p.dtype).ravel()
                               for p in self._params])

    def _flat_params(self) -> np.ndarray:
        return np.concatenate([p.data.ravel() for p in self._params])

    def _set_params(self, base: np.ndarray, t: float, d: np.ndarray) -> None:
        """x ← base + t d, in place in every parameter."""
        offset = 0
        for p in self._params:
            n = p.data.size
            p.data[...] = (base[offset:offset + n] + t * d[offset:offset + n]).reshape(p.shape)
            p._version += 1
            offset += n

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, float, np.ndarray]:
        with enable_grad():
            loss = closure()
        return loss, float(loss), self._flat_grad()

    # ------------------------------------------------------------ the algorithm

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; ``closure`` is required.

        Returns:
            The loss the closure returned at the parameters as they were.
        """
        if closure is None:
            raise ValueError("LBFGS.step needs a closure that re-evaluates the loss and "
                             "its gradients and returns the loss")
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = int(group["max_iter"]), int(group["max_eval"])
        tol_grad, tol_change = float(group["tolerance_grad"]), float(group["tolerance_change"])
        history_size = int(group["history_size"])

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        first_loss, loss, g = self._evaluate(closure)
        evals = 1
        state["func_evals"] += 1
        if np.abs(g).max() <= tol_grad:
            return first_loss

        d, t = state.get("d"), state.get("t")
        dirs, steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h = state.get("H_diag")
        prev_g, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        k = 0
        while k < max_iter:
            k += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, dirs, steps, ro, h = -g, [], [], [], 1.0
            else:
                y, s = g - prev_g, d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    if len(dirs) == history_size:
                        del dirs[0], steps[0], ro[0]
                    dirs.append(y)
                    steps.append(s)
                    ro.append(1.0 / ys)
                    h = ys / float(y @ y)
                d = _two_loop(g, dirs, steps, ro, h)
            prev_g, prev_loss = g.copy(), loss
            t = (min(1.0, 1.0 / float(np.abs(g).sum())) * lr if state["n_iter"] == 1 else lr)
            gtd = float(g @ d)
            if gtd > -tol_change:
                break

            if group["line_search_fn"] == "strong_wolfe":
                x0 = self._flat_params()

                def phi(step: float, x0: np.ndarray = x0,
                        d: np.ndarray = d) -> tuple[float, np.ndarray]:
                    self._set_params(x0, step, d)
                    _, value, grad = self._evaluate(closure)
                    return value, grad

                t, loss, g, used = strong_wolfe(phi, t, d, loss, g, gtd, tol_change)
                self._set_params(x0, t, d)
            else:
                self._set_params(self._flat_params(), t, d)
                used = 0
                if k != max_iter:
                    _, loss, g = self._evaluate(closure)
                    used = 1
            evals += used
            state["func_evals"] += used

            if k == max_iter or evals >= max_eval or np.abs(g).max() <= tol_grad:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=dirs, old_stps=steps, ro=ro, H_diag=h,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return first_loss

    def state_dict(self) -> dict[str, Any]:
        saved = super().state_dict()
        for entries in saved["state"].values():  # the history lists, copied too
            for key, value in entries.items():
                if isinstance(value, list):
                    entries[key] = [v.copy() if isinstance(v, np.ndarray) else v
                                    for v in value]
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._params = self.param_groups[0]["params"]


def _two_loop(g: np.ndarray, dirs: list[np.ndarray], steps: list[np.ndarray],
              ro: list[float], h: float) -> np.ndarray:
    """d = −H g by the two-loop recursion over the pairs (sᵢ, yᵢ), H₀ = h I."""
    q = -g
    a = [0.0] * len(dirs)
    for i in range(len(dirs) - 1, -1, -1):
        a[i] = float(steps[i] @ q) * ro[i]
        q = q - a[i] * dirs[i]
    r = q * h
    for i in range(len(dirs)):
        b = float(dirs[i] @ r) * ro[i]
        r = r + (a[i] - b) * steps[i]
    return r


def _cubic_minimum(a: float, fa: float, ga: float, b: float, fb: float, gb: float,
                   low: float, high: float) -> float:
    """The minimiser in [low, high] of the cubic through (a, fa) and (b, fb) with slopes ga
    and gb (Nocedal & Wright eq. 3.59), or the midpoint of [low, high] if it has none."""
    if a == b:
        return (low + high) / 2
    d1 = ga + gb - 3 * (fa - fb) / (a - b)
    square = d1 * d1 - ga * gb
    if square < 0:
        return (low + high) / 2
    d2 = math.copysign(math.sqrt(square), b - a)
    denom = gb - ga + 2 * d2
    if denom == 0:
        return (low + high) / 2
    x = b - (b - a) * (gb + d2 - d1) / denom
    if not math.isfinite(x):
        return (low + high) / 2
    return min(max(x, low), high)


def strong_wolfe(phi: Callable[[float], tuple[float, np.ndarray]], t: float, d: np.ndarray,
                 f0: float, g0: np.ndarray, gtd0: float, tolerance_change: float = 1e-9,
                 c1: float = 1e-4, c2: float = 0.9,
                 max_evals: int = 25) -> tuple[float, float, np.ndarray, int]:
    """A step t along d satisfying the strong Wolfe conditions (Nocedal & Wright,
    Algorithms 3.5 and 3.6).

    Args:
        phi: t ↦ (f(x + t d), ∇f(x + t d)).
        t: the first step tried.
        d: the search direction, a descent direction: gtd0 = ∇f(x)ᵀd < 0.
        f0, g0, gtd0: f(x), ∇f(x) and ∇f(x)ᵀd.
        tolerance_change: stop zooming once the interval, times max |d|, is below this.
        c1, c2: the sufficient decrease and curvature constants, 0 < c1 < c2 < 1.
        max_evals: evaluations of phi at most.

    Returns:
        (t, f(x + t d), ∇f(x + t d), evaluations made). When the evaluations run out, the
        best step found (lowest f satisfying sufficient decrease, else the last one).
    """
    d_max = float(np.abs(d).max())
    evals = 0

    def evaluate(step: float) -> tuple[float, np.ndarray, float]:
        nonlocal evals
        evals += 1
        f, g = phi(step)
        return f, g, float(g @ d)

    def decreases(step: float, f: float) -> bool:
        return f <= f0 + c1 * step * gtd0

    def curvature(slope: float) -> bool:
        return abs(slope) <= -c2 * gtd0

    # Algorithm 3.5: bracket. (t_prev, f_prev, ...) is α_{i−1}; α₀ = 0.
    t_prev, f_prev, g_prev, s_prev = 0.0, f0, g0, gtd0
    bracket = None
    while evals < max_evals:
        f, g, slope = evaluate(t)
        if not decreases(t, f) or (evals > 1 and f >= f_prev):
            bracket = (t_prev, f_prev, g_prev, s_prev), (t, f, g, slope)
            break
        if curvature(slope):
            return t, f, g, evals
        if slope >= 0:
            bracket = (t, f, g, slope), (t_prev, f_prev, g_prev, s_prev)
            break
        # extrapolate: the cubic's minimiser, at least 1.01 t and at most 10 t
        t_next = _cubic_minimum(t_prev, f_prev, s_prev, t, f, slope,
                                t + 0.01 * (t - t_prev), 10 * t)
        t_prev, f_prev, g_prev, s_prev = t, f, g, slope
        t = t_next
    if bracket is None:  # out of evaluations while extrapolating
        return t_prev, f_prev, g_prev, evals

    # Algorithm 3.6: zoom. lo satisfies sufficient decrease with the lowest f so far, and
    # φ'(lo)(hi − lo) < 0, so [lo, hi] holds a step satisfying both conditions.
    lo, hi = bracket
    while evals < max_evals and abs(hi[0] - lo[0]) * d_max >= tolerance_change:
        a, b = sorted((lo[0], hi[0]))
        margin = 0.1 * (b - a)
        t = _cubic_minimum(lo[0], lo[1], lo[3], hi[0], hi[1], hi[3], a, b)
        if not a + margin <= t <= b - margin:
            t = (a + b) / 2  # too near an end: bisect, so the interval shrinks
        f, g, slope = evaluate(t)
        if not decreases(t, f) or f >= lo[1]:
            hi = (t, f, g, slope)
        else:
            if curvature(slope):
                return t, f, g, evals
            if slope * (hi[0] - lo[0]) >= 0:
                hi = lo
            lo = (t, f, g, slope)
    return lo[0], lo[1], lo[2], evals
