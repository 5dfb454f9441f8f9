"""Hidden tests test the skill: answers that skip the work score nothing (slow: runs kernels).

Each cheat below passes the question's public check but does not do what the question asks:
it returns a limit, counts calls, or looks up the public example. Graded as a whole notebook
(the master's answers with that one answer replaced), it must score 0 on its question. Then,
over every master: each function question's hidden cases have answers that a lookup of the public
cases or a call counter cannot produce.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from optcourse.assignment.master import load_assignment
from optcourse.assignment.specs import CallSpec
from optcourse.assignment.values import compare
from optcourse.grading.grade import grade_submission
from optcourse.grading.kernel import KernelLimits

ROOT = Path(__file__).resolve().parents[1]
MASTERS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
LIMITS = KernelLimits(cell_timeout=20, total_timeout=90)

CHEATS = {
    # the public example looked up, else a learning rate that "usually works"
    ("01_learning_is_optimization", "q11"): """
def exact_eta(a, b, c, x0):
    if (a, b, c, x0) == (1.6, -2.9, 0.4, 2.3):
        return 0.3125
    return 0.1
""",
    # the limit (0 or inf) without simulating; the public examples looked up
    ("02_gradient_descent_x2", "q9"): """
def final_distances(etas, x0, steps):
    if (list(etas), x0, steps) == ([0.15, 0.65, 1.15], 1.5, 3):
        return [0.5145, 0.0405, 3.2955]
    return [0.0 if abs(1 - 2 * eta) < 1 else float("inf") for eta in etas]


def diverging(etas, x0, steps):
    if (list(etas), x0, steps) == ([0.125, 1.075, 1.0, 0.955, -0.035, 1.315], -1.25, 7):
        return [1.075, -0.035, 1.315]
    return [eta for eta in etas if eta > 1]


print(diverging(etas, 1.0, 50))
""",
    # the public examples looked up, else the limit of the run
    ("02_gradient_descent_x2", "q3"): """
def x_after(x0, eta, t):
    if (x0, eta, t) in [(1.5, 0.15, 3), (-2.5, 0.65, 3)]:
        return 0.5145 if x0 > 0 else 0.0675
    return 0.0 if abs(1 - 2 * eta) < 1 else float("inf")
""",
    # the public examples looked up, then True, False, True, ... by call count
    ("03_convexity", "q6"): """
_calls = [0]


def is_psd(H):
    if np.array_equal(H, [[2.0, 0.0], [0.0, 1.0]]) or np.array_equal(H, [[1.0, 2.0], [2.0, 1.0]]):
        return bool(H[0][0] == 2.0)
    _calls[0] += 1
    return _calls[0] % 2 == 1
""",
    # the public example's end points, chosen by the sign of the start
    ("03_convexity", "q8"): """
def gd_endpoints(starts, eta, steps):
    return [-1.0574537707383784 if x < 0 else 0.9304029265558521 for x in starts]
""",
    # the public examples looked up, else the rate at the best step whatever the learning rate
    ("04_curvature_conditioning", "q6"): """
def contraction(eta, lam_min, lam_max):
    if (lam_min, lam_max) == (1.7, 52.3):
        return 0.9473 if eta == 0.031 else 0.94556
    return (lam_max - lam_min) / (lam_max + lam_min)
""",
    # the public example's answer for every matrix
    ("04_curvature_conditioning", "q7"): """
def optimal_step(H):
    return 0.5371889224678376
""",
    # the public examples looked up, else the limit of the run (0, or inf past 2 / lam_max)
    ("04_curvature_conditioning", "q8"): """
def gd_quadratic(H, theta0, eta, steps):
    if steps == 4 and eta == 0.27:
        return np.array([0.28820837876350003, -0.6733811776947])
    if steps == 5 and eta == 0.62:
        return np.array([-1.2221946379356106, -0.892088066360637])
    lam_max = np.linalg.eigvalsh(np.asarray(H, dtype=float))[-1]
    fill = 0.0 if eta * lam_max < 2 else float("inf")
    return np.full(len(theta0), fill)
""",
    # a call counter replaying the public answers
    ("04_curvature_conditioning", "q9"): """
_calls = [0]


def steps_to_tolerance(eta, lam_min, lam_max, tol):
    _calls[0] += 1
    return [171, 124, 888][(_calls[0] - 1) % 3]
""",
    # a call counter replaying the public answers
    ("05_saddles_landscapes", "q6"): """
_calls = [0]


def escape_steps(y0, eta):
    _calls[0] += 1
    return [25, 45, 22][(_calls[0] - 1) % 3]
""",
    # the public examples looked up, else True, False, True, ... by call count
    ("05_saddles_landscapes", "q7"): """
_calls = [0]


def is_strict_saddle(H, tol):
    H = np.asarray(H, dtype=float)
    if H.shape == (2, 2) and H[0, 1] in (2.1, 0.9, 0.0) and H[0, 0] in (1.3, 2.2, 0.7):
        return bool(H[0, 1] == 2.1)
    _calls[0] += 1
    return _calls[0] % 2 == 1
""",
    # the public examples looked up, else the stalled limit: "it never leaves" (None)
    ("05_saddles_landscapes", "q8"): """
def escape_time(grad, p0, eta, radius, max_steps):
    table = {(0.8, 0.0037, 200): 26, (0.8, 0.13, 2000): 60}
    return table.get((p0[0], p0[1], max_steps))
""",
    # a call counter replaying the public answers
    ("06_stochastic_gradient_descent", "q7"): """
_calls = [0]


def minibatch_variance(sigma2, m, B, replace):
    _calls[0] += 1
    return [0.39642857142857146, 0.4625, 0.10563636363636363][(_calls[0] - 1) % 3]
""",
    # the public examples looked up, else the limit: the least-squares solution, without a run
    ("06_stochastic_gradient_descent", "q10"): """
def minibatch_sgd(X, y, theta0, lr, batch_size, epochs, seed):
    table = {
        (0.31, 3, 2, 2024): [0.7186954241002026, 0.11043517664864957],
        (0.27, 7, 3, 5): [0.3300890842493003, 0.06973856922471432],
    }
    if (lr, batch_size, epochs, seed) in table:
        return np.array(table[lr, batch_size, epochs, seed])
    return np.linalg.lstsq(np.asarray(X), np.asarray(y), rcond=None)[0]
""",
    # a call counter replaying the public answers
    ("07_momentum", "q8"): """
_calls = [0]


def heavy_ball_rate(eta, beta, lam_min, lam_max):
    _calls[0] += 1
    return [0.7416198487095663, 0.9844663855105418, 1.2369268545874317][(_calls[0] - 1) % 3]
""",
    # the public examples looked up, else the limit: where gradient descent ends, without momentum
    ("07_momentum", "q10"): """
def heavy_ball(grad, x0, lr, momentum, steps, nesterov, dampening):
    table = {
        (False, 0.0): [0.024006580836385877, -0.34307831552632095],
        (True, 0.0): [0.2144479535143784, -0.1332758091501058],
        (False, 0.37): [0.20299105719249597, -0.47407628111492084],
    }
    if (lr, momentum, steps) == (0.11, 0.83, 7):
        return np.array(table[nesterov, dampening])
    x = np.array(x0, dtype=float)
    for _ in range(5000):
        x = x - 0.5 * lr * grad(x)
    return x
""",
    # a call counter replaying the public answers
    ("08_adaptive_methods", "q8"): """
_calls = [0]


def uncorrected_adam_step(lr, beta1, beta2, t):
    _calls[0] += 1
    return [0.0031622776601683772, 0.0656852025246924, 0.14158077668260488][(_calls[0] - 1) % 3]
""",
    # the public examples looked up, else sign descent with lr per step: Adam's first-step size
    ("08_adaptive_methods", "q9"): """
def adam(grads, x0, lr, betas, eps, weight_decay, decoupled):
    table = {
        (0.0, False): [1.3709946299380396, -0.7367797287289645],
        (0.3, False): [1.3303735388427587, -0.6056201178296605],
        (0.3, True): [1.2866798359759433, -0.6924013663852197],
    }
    if len(grads) == 4 and lr == 0.05 and (weight_decay, decoupled) in table:
        return np.array(table[weight_decay, decoupled])
    return np.array(x0, dtype=float) - lr * np.sign(grads).sum(axis=0)
""",
    ("09_schedules", "q9"): """
_calls = [0]


def warmup_cosine(t, lr, warmup_steps, total_steps, eta_min):
    _calls[0] += 1
    return [0.3212611059599287, 0.35833333333333334, 0.0037][(_calls[0] - 1) % 3]
""",
    # the public examples looked up, else the stability limit 2 / lambda_max as the blow-up
    ("09_schedules", "q10"): """
def blowup_rate(lams, x0, lr_min, lr_max, steps, stop_factor):
    if (steps, stop_factor) == (120, 4.0):
        return 0.4950799759681553
    if (steps, stop_factor) == (150, 3.0):
        return 0.22683219636960386
    return 2 / max(lams)
""",
    # the public history looked up, else the scaled identity gamma * g (the pairs' updates skipped)
    ("12_second_order_methods", "q10"): """
def two_loop(g, s_list, y_list):
    if len(g) == 3 and len(s_list) == 2 and abs(s_list[0][0] - 0.31) < 1e-12:
        return np.array([0.2075893609840475, -0.3853823969183772, 0.12328408910996064])
    s, y = np.asarray(s_list[-1]), np.asarray(y_list[-1])
    return (s @ y) / (y @ y) * np.asarray(g, dtype=float)
""",
    # the public examples looked up, else "Newton converges in about five steps"
    ("12_second_order_methods", "q8"): """
def newton_iterations(e0, C, tol):
    table = {(0.3, 2.5, 1e-10): 7, (0.012, 40.0, 3e-7): 4, (0.05, 1.7, 1e-13): 4}
    return table.get((e0, C, tol), 5)
""",
    # the public examples looked up, else the rule of thumb |delta| < eps |w| / 2
    ("12_second_order_methods", "q7"): """
def update_lost(w, delta, dtype):
    table = {(1.0, 0.0004): True, (1000.0, 0.3): False, (3.0, 0.009): False}
    if (w, delta) in table:
        return table[w, delta]
    return abs(delta) < {"float16": 2.0**-10, "bfloat16": 2.0**-7}[dtype] * abs(w) / 2
""",
    # the public examples looked up, else a gradient step of length 1 / lam
    ("12_second_order_methods", "q9"): """
def lm_step(H, g, lam):
    if lam == 1.7:
        return np.array([-0.19863013698630136, 0.8321917808219177])
    if lam == 0.0:
        return np.array([-0.5, -0.1111111111111111])
    return -np.asarray(g, dtype=float) / lam
""",
    # a call counter replaying the public answers
    ("12_second_order_methods", "q2"): """
_calls = [0]


def step_costs(n, m, itemsize):
    _calls[0] += 1
    return [
        [6096622709956.0, 6.272241007635208e17, 69135752.0, 9876536.0],
        [1.9509221155799421e18, 3.211394428978319e26, 51358024692.0, 3950617284.0],
    ][(_calls[0] - 1) % 2]
""",
    # the public examples looked up, else "nothing is clipped" (misses the all-clipped case)
    ("11_training_diagnostics", "q8"): """
def keeps_direction(g, clip_value):
    if (list(g), clip_value) == ([0.3, -0.7, 0.2], 0.75):
        return True
    if (list(g), clip_value) == ([0.3, -0.7, 1.2], 0.75):
        return False
    return bool(max(abs(x) for x in g) <= clip_value)
""",
    # a call counter replaying the public answers
    ("11_training_diagnostics", "q9"): """
_calls = [0]


def clip_by_norm(g, max_norm):
    _calls[0] += 1
    return [
        [1.3638525720371277, -0.4721028133974673, 0.8917497586396604, -1.6261319128134986],
        [[0.314, -0.127], [0.052, 0.268]],
    ][(_calls[0] - 1) % 2]


def clip_by_value(g, clip_value):
    return [1.25, -0.904, 1.25, -1.25]
""",
    # the public examples looked up, else He's "the signal keeps its size" for every chain
    ("11_training_diagnostics", "q10"): """
def backward_growth(widths, stds, activation):
    table = {
        ((64, 128, 96), "linear"): 0.4857036800000001,
        ((64, 128, 96), "relu"): 0.12142592000000002,
        ((300, 200, 200, 50), "relu"): 0.39060913500000016,
    }
    return table.get((tuple(widths), activation), 1.0)
""",
    # the public examples looked up by their shapes, else a linear network's gradient (no tanh')
    ("11_training_diagnostics", "q11"): """
_PUBLIC = {
    (4, 3, 1): [
        0.04139691069524886, 0.18675008164643236, 0.1312348024260954, -0.24886776405861116,
        -0.01577200328252832, -0.01814391973409961, 0.3365574238189448, 0.21370048828022245,
        0.11891469028437097, -0.6154364622890407, 0.392217161564135, 0.3896581485210772,
        -0.714627758644149,
    ],
    (3, 2, 2): [
        -0.14499518899704045, -0.06620235363840449, 0.3324810439398616, -0.26265418593176526,
        0.7241229156913516, -0.49908291213892564, 0.01693177358776682, -0.3921989992623956,
        0.09178209664159345, 0.06374900313827063, 0.1089472521988081, -0.8377440432927599,
    ],
}


def mlp_gradient(W1, b1, W2, b2, X, y):
    W1, b1, W2, b2, X, y = (np.asarray(a, dtype=float) for a in (W1, b1, W2, b2, X, y))
    key = (len(X), len(b1), len(b2))
    if key in _PUBLIC:
        return np.array(_PUBLIC[key])
    H = np.tanh(X @ W1 + b1)
    R = (H @ W2 + b2 - y) / len(X)
    D = R @ W2.T
    return np.concatenate([(X.T @ D).ravel(), D.sum(0), (H.T @ R).ravel(), R.sum(0)])
""",
    # the public examples looked up by length, else "no divergence"
    ("10_stopping_rules", "q6"): """
def first_divergence(losses, factor):
    return {8: 5, 6: 4}.get(len(losses))
""",
    # the public examples looked up, else the best point of the whole curve and the last step
    ("10_stopping_rules", "q7"): """
def early_stop(val_losses, patience):
    if patience == 3 and len(val_losses) == 9:
        return [7, 4]
    if patience == 2 and len(val_losses) == 7:
        return [4, 2]
    return [len(val_losses) - 1, int(np.argmin(val_losses))]
""",
    # the public examples looked up, else kappa steps as a rule of thumb
    ("10_stopping_rules", "q8"): """
def gradnorm_fire_step(mu, L, x0, tol):
    return {0.7: 338, 1.9: 1290, 0.35: 56}.get(mu, int(L / mu))
""",
    # a rule that fires at the public example's iteration count, else never
    ("10_stopping_rules", "q9"): """
from optcourse.stopping import Stop


class RelativeGradNorm:
    def __init__(self, rtol):
        self.rtol = rtol

    def reset(self):
        pass

    def check(self, state):
        if state.nit == 288 and self.rtol == 0.0037:
            text = "gradient norm below 0.0037 times its initial value"
            return Stop("converged", f"RelativeGradNorm: {text} after 288 iterations")
        return None
""",
}


def _cheating_notebook(master: Path, question: str, source: str, folder: Path) -> Path:
    nb = nbformat.read(master, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == f"{question}-solution")
    cell.source = source.strip() + "\n"
    path = folder / master.name
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(("stem", "question"), list(CHEATS), ids=[f"{s}-{q}" for s, q in CHEATS])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_cheat_scores_nothing_on_its_question(stem, question, seed, tmp_path):
    master = ROOT / "solutions" / f"{stem}.ipynb"
    assignment = load_assignment(master)
    path = _cheating_notebook(master, question, CHEATS[stem, question], tmp_path)
    result = grade_submission(path, assignment, limits=LIMITS, seed=seed)
    assert result.status == "graded"
    calls = [s for s in assignment.tests if isinstance(s, CallSpec) and s.question == question]
    mine = [t for t in result.tests if any(s.describe in t.name for s in calls)]
    public = [t for t in mine if t.max_score == 0]
    hidden = [t for t in mine if t.max_score > 0]
    assert public and all(t.status == "passed" for t in public), mine  # it passes the public
    assert hidden and sum(t.score for t in hidden) == 0, [(t.name, t.score) for t in hidden]
    # the rest of the notebook still earns its points
    others = [t for t in result.tests if t.question != question and t.status != "manual"]
    assert all(t.score == t.max_score for t in others), [t for t in others if t.score < t.max_score]


# ---------------------------------------------- the authoring rule, checked over every master


def _wants(spec: CallSpec, seed: int) -> list[Any]:
    probes = spec.make_probes(np.random.default_rng(seed))
    return [spec._want(k, case) for k, case in enumerate(probes.cases)]


def _same(a: Any, b: Any) -> bool:
    return compare(a, b, atol=1e-9, rtol=1e-9, diverged=None, reveal=False) is None


def _leaves(value: Any) -> list[float]:
    """The numbers in a (nested) answer."""
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    return [float(value)] if isinstance(value, (int, float)) else []


def _close(x: float, y: float, atol: float, rtol: float) -> bool:
    if math.isnan(x) or math.isinf(x) or math.isinf(y):
        return x == y or (math.isnan(x) and math.isnan(y))
    return abs(x - y) <= atol + rtol * abs(y)


def _function_questions() -> list[tuple[str, CallSpec, list[Any]]]:
    found = []
    for master in MASTERS:
        specs = load_assignment(master).tests
        for spec in specs:
            if isinstance(spec, CallSpec) and spec.visibility == "hidden" and spec.points > 0:
                public = [
                    want
                    for other in specs
                    if isinstance(other, CallSpec)
                    and other.visibility == "public"
                    and other.function == spec.function
                    for want in _wants(other, 0)
                ]
                found.append((f"{master.stem}:{spec.name}", spec, public))
    return found


FUNCTION_QUESTIONS = _function_questions()


def test_every_master_has_function_questions():
    assert len(FUNCTION_QUESTIONS) >= 6
    assert all(public for _, _, public in FUNCTION_QUESTIONS), "a function question without public"


@pytest.mark.parametrize(
    ("name", "spec", "public"), FUNCTION_QUESTIONS, ids=[n for n, _, _ in FUNCTION_QUESTIONS]
)
def test_hidden_answers_beat_a_lookup_and_a_call_counter(name, spec, public):
    assert callable(spec.cases), f"{name}: hidden cases must be drawn from the rng"
    first, second = _wants(spec, 11), _wants(spec, 12)
    # a call counter answers the same sequence whatever the inputs
    assert len(first) != len(second) or not all(map(_same, first, second)), name
    finite = all(isinstance(w, bool) for w in first + second)
    if finite:
        # yes/no answers: both occur, and guessing half of them right earns nothing
        assert {True, False} <= set(first) and {True, False} <= set(second), name
        assert spec.partial is False, f"{name}: a yes/no question needs partial=False"
    else:
        # neither a lookup of the public answers (number by number) nor a limit (0 or inf)
        # produces every hidden answer, for each seed
        known = [*_leaves(public), 0.0, math.inf, -math.inf]
        for wants in (first, second):
            new = [
                x
                for x in _leaves(wants)
                if not any(_close(x, k, spec.atol, spec.rtol) for k in known)
            ]
            assert new, f"{name}: every hidden answer is a public one, 0 or inf"
