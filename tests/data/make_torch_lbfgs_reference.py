"""Write ``tests/data/torch_lbfgs_reference.json``: torch.optim.LBFGS trajectories in float64.

Run with torch 2.13.0 installed (``pip install torch==2.13.0``; torch is never a dependency of
optcourse)::

    python tests/data/make_torch_lbfgs_reference.py          # write the JSON
    python tests/data/make_torch_lbfgs_reference.py --check  # compare with the stored JSON

Each case runs ONE ``torch.optim.LBFGS.step(closure)`` with ``max_iter=MAX_ITER`` inner
iterations and an evaluation budget (``max_eval``) too large to bind, and records the parameters
after every inner iteration (each call of ``LBFGS._add_grad`` outside the line search's trial
evaluations), the loss there, the evaluations of each iteration, and torch's ``func_evals`` and
``n_iter``. The closure evaluates optcourse's own objective (its NumPy ``value`` and ``grad``), so
the comparison in ``tests/test_lbfgs.py`` is about the optimizer alone, not about two ways of
computing Rosenbrock's gradient.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from optcourse.objectives import Quadratic, Rosenbrock  # noqa: E402

OUT = Path(__file__).with_name("torch_lbfgs_reference.json")
MAX_ITER = 1000
MAX_EVAL = 10**6
#: The ill-conditioned quadratic: eigenvalues 1 ... 1e4 (kappa = 1e4), 5 dimensions.
QUAD_EIGS = [1.0, 10.0, 100.0, 1000.0, 10000.0]
QUAD_SEED = 0


def problems() -> dict[str, tuple[Any, list[float]]]:
    """The objectives and their starting points."""
    x0 = np.random.default_rng(QUAD_SEED).uniform(-1.0, 1.0, len(QUAD_EIGS))
    return {
        "rosenbrock": (Rosenbrock(), [-1.2, 1.0]),
        "quadratic_k1e4": (Quadratic(np.diag(QUAD_EIGS)), [float(v) for v in x0]),
    }


#: case name -> (problem, torch keywords, exact). ``exact``: our trajectory must equal torch's to
#: rtol 1e-8 at every iterate. The others are chaotic: the last-bit differences between torch's
#: arithmetic and NumPy's (torch's ``add_(alpha=...)`` is a fused multiply-add, its ``dot`` sums in
#: another order) grow by orders of magnitude per few iterations along these runs (a fixed step
#: on Rosenbrock, a 3-pair memory on kappa = 1e4), so only their beginning is compared exactly.
CASES: dict[str, tuple[str, dict[str, Any], bool]] = {
    "rosenbrock/none_h100": ("rosenbrock", {"line_search_fn": None, "history_size": 100}, True),
    "rosenbrock/wolfe_h100": (
        "rosenbrock",
        {"line_search_fn": "strong_wolfe", "history_size": 100},
        True,
    ),
    "rosenbrock/wolfe_h5": (
        "rosenbrock",
        {"line_search_fn": "strong_wolfe", "history_size": 5},
        True,
    ),
    "rosenbrock/none_h3": ("rosenbrock", {"line_search_fn": None, "history_size": 3}, False),
    "quadratic_k1e4/none_h100": (
        "quadratic_k1e4",
        {"line_search_fn": None, "history_size": 100},
        True,
    ),
    "quadratic_k1e4/none_h8": ("quadratic_k1e4", {"line_search_fn": None, "history_size": 8}, True),
    "quadratic_k1e4/wolfe_h100": (
        "quadratic_k1e4",
        {"line_search_fn": "strong_wolfe", "history_size": 100},
        True,
    ),
    "quadratic_k1e4/wolfe_h8": (
        "quadratic_k1e4",
        {"line_search_fn": "strong_wolfe", "history_size": 8},
        True,
    ),
    "quadratic_k1e4/none_h3": (
        "quadratic_k1e4",
        {"line_search_fn": None, "history_size": 3},
        False,
    ),
    "quadratic_k1e4/wolfe_h3": (
        "quadratic_k1e4",
        {"line_search_fn": "strong_wolfe", "history_size": 3},
        False,
    ),
}


def torch_trajectory(obj: Any, x0: list[float], **kwargs: Any) -> dict[str, Any]:
    """Run one torch ``LBFGS.step`` and record the point after every inner iteration."""
    import torch

    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([p], max_iter=MAX_ITER, max_eval=MAX_EVAL, **kwargs)
    xs = [p.detach().numpy().copy()]
    evals = [0]  # evaluations since the last recorded point
    per_iter: list[int] = []
    in_search = [False]
    add_grad, directional = opt._add_grad, opt._directional_evaluate

    def trial(*args: Any) -> Any:
        in_search[0] = True
        try:
            return directional(*args)
        finally:
            in_search[0] = False

    def move(t: Any, d: Any) -> None:
        add_grad(t, d)
        if not in_search[0]:
            xs.append(p.detach().numpy().copy())
            per_iter.append(evals[0])
            evals[0] = 0

    opt._add_grad, opt._directional_evaluate = move, trial  # type: ignore[method-assign]

    def closure() -> Any:
        evals[0] += 1
        x = p.detach().numpy().copy()
        p.grad = torch.from_numpy(np.array(obj.grad(x), dtype=np.float64))
        return torch.tensor(float(obj.value(x)), dtype=torch.float64)

    opt.step(closure)
    # no line search: an iteration's evaluation (at the new point) happens after _add_grad
    if kwargs["line_search_fn"] is None:
        per_iter = [1] * (len(xs) - 1)
    else:
        per_iter[0] -= 1  # the first count includes the evaluation at x0
    state = opt.state[p]
    x = np.array(xs)
    return {
        "x": x.tolist(),
        "loss": [float(obj.value(xi)) for xi in x],
        "evals_per_iteration": per_iter,
        "func_evals": int(state["func_evals"]),
        "n_iter": int(state["n_iter"]),
    }


def build() -> dict[str, Any]:
    """Every case, with the versions that produced it."""
    import torch

    cases: dict[str, Any] = {}
    probs = problems()
    for name, (pname, kwargs, exact) in CASES.items():
        obj, x0 = probs[pname]
        case = {"problem": pname, "x0": x0, "kwargs": kwargs, "exact": exact}
        case.update(torch_trajectory(obj, x0, **kwargs))
        cases[name] = case
    return {
        "versions": {"torch": torch.__version__, "numpy": np.__version__},
        "max_iter": MAX_ITER,
        "max_eval": MAX_EVAL,
        "quadratic_eigenvalues": QUAD_EIGS,
        "cases": cases,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the stored JSON")
    args = parser.parse_args()
    data = build()
    if args.check:
        stored = json.loads(OUT.read_text())
        ok = stored["cases"] == data["cases"]
        print("identical" if ok else "DIFFERENT")
        return 0 if ok else 1
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    for name, case in data["cases"].items():
        print(f"{name}: {len(case['x']) - 1} iterations, {case['func_evals']} evaluations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
