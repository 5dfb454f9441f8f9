"""Regenerate ``torch_reference.json``: the torch.optim trajectories the tests compare against.

Run with torch installed (any machine; the file records the versions used)::

    pip install torch==2.13.0 numpy
    python tests/data/make_torch_reference.py            # rewrites tests/data/torch_reference.json
    python tests/data/make_torch_reference.py --check    # compares with the committed file instead

Torch is never a dependency of optcourse: the tests read the JSON file this script writes.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

OUT = Path(__file__).with_name("torch_reference.json")
N_STEPS = 50
START = (3.0, 2.0)
ABOUT = (
    "Reference trajectories recorded with torch {torch} (CPU, float64). Problem: f(x, y) = "
    "0.5*(x**2 + 10*y**2), gradient (x, 10*y), start (3, 2), 50 steps; each list holds the 51 "
    "points x_0..x_50. Schedulers: the learning rate used at optimizer step k (k = 0..49), base lr "
    "0.1. Equality is to float64 rounding: compare with rtol=1e-10, atol=1e-13."
)

# name -> (torch.optim class name, keyword arguments, sign of the objective)
QUADRATIC: dict[str, tuple[str, dict[str, Any], float]] = {
    "SGD lr=0.05": ("SGD", dict(lr=0.05), 1.0),
    "SGD lr=0.05 momentum=0.9": ("SGD", dict(lr=0.05, momentum=0.9), 1.0),
    "SGD lr=0.05 momentum=0.9 dampening=0.5": (
        "SGD",
        dict(lr=0.05, momentum=0.9, dampening=0.5),
        1.0,
    ),
    "SGD lr=0.05 momentum=0.9 nesterov=True": (
        "SGD",
        dict(lr=0.05, momentum=0.9, nesterov=True),
        1.0,
    ),
    "SGD lr=0.05 weight_decay=0.1": ("SGD", dict(lr=0.05, weight_decay=0.1), 1.0),
    "SGD lr=0.05 momentum=0.9 maximize=True on -f": (
        "SGD",
        dict(lr=0.05, momentum=0.9, maximize=True),
        -1.0,
    ),
    "Adagrad lr=0.1": ("Adagrad", dict(lr=0.1), 1.0),
    "Adagrad lr=0.5 eps=1e-3": ("Adagrad", dict(lr=0.5, eps=1e-3), 1.0),
    "RMSprop lr=0.01": ("RMSprop", dict(lr=0.01), 1.0),
    "RMSprop lr=0.01 alpha=0.9 eps=1e-3": ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-3), 1.0),
    "RMSprop lr=0.01 centered=True": ("RMSprop", dict(lr=0.01, centered=True), 1.0),
    "RMSprop lr=0.01 momentum=0.9": ("RMSprop", dict(lr=0.01, momentum=0.9), 1.0),
    "Adam lr=0.1": ("Adam", dict(lr=0.1), 1.0),
    "Adam lr=0.1 amsgrad=True": ("Adam", dict(lr=0.1, amsgrad=True), 1.0),
    "Adam lr=0.1 weight_decay=0.1 (coupled L2)": ("Adam", dict(lr=0.1, weight_decay=0.1), 1.0),
    "AdamW lr=0.1 (default weight_decay=0.01)": ("AdamW", dict(lr=0.1), 1.0),
    "AdamW lr=0.1 weight_decay=0.1": ("AdamW", dict(lr=0.1, weight_decay=0.1), 1.0),
    "NAdam lr=0.1": ("NAdam", dict(lr=0.1), 1.0),
    "NAdam lr=0.1 momentum_decay=0 (mu_t = beta1/2 const)": (
        "NAdam",
        dict(lr=0.1, momentum_decay=0.0),
        1.0,
    ),
    "NAdam lr=0.1 momentum_decay=inf (mu_t = beta1 const)": (
        "NAdam",
        dict(lr=0.1, momentum_decay=math.inf),
        1.0,
    ),
}

SCHEDULERS: dict[str, tuple[str, dict[str, Any]]] = {
    "StepLR(step_size=10, gamma=0.5)": ("StepLR", dict(step_size=10, gamma=0.5)),
    "ExponentialLR(gamma=0.9)": ("ExponentialLR", dict(gamma=0.9)),
    "CosineAnnealingLR(T_max=50, eta_min=0.001)": (
        "CosineAnnealingLR",
        dict(T_max=50, eta_min=0.001),
    ),
}


def trajectory(name: str, kwargs: dict[str, Any], sign: float) -> list[list[float]]:
    """The 51 points of ``torch.optim.<name>(**kwargs)`` on ``sign * f`` from START."""
    x = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, name)([x], foreach=False, **kwargs)
    scale = torch.tensor([1.0, 10.0], dtype=torch.float64)
    points = [x.detach().tolist()]
    for _ in range(N_STEPS):
        opt.zero_grad()
        loss = sign * 0.5 * (scale * x**2).sum()
        loss.backward()
        opt.step()
        points.append(x.detach().tolist())
    return points


def schedule(name: str, kwargs: dict[str, Any]) -> dict[str, list[float]]:
    """The learning rate (and momentum) of an SGD group at each of the N_STEPS steps."""
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], lr=0.1)
    sched = getattr(torch.optim.lr_scheduler, name)(opt, **kwargs)
    lrs, momenta = [], []
    for _ in range(N_STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    return {"lr": lrs, "momentum": momenta}


def build() -> dict[str, Any]:
    """The whole reference file as a dict."""
    torch.set_default_dtype(torch.float64)
    return {
        "about": ABOUT.format(torch=torch.__version__.split("+")[0]),
        "env": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor(),
            "torch_num_threads": torch.get_num_threads(),
        },
        "quadratic": {k: trajectory(*v) for k, v in QUADRATIC.items()},
        "schedulers": {k: schedule(*v) for k, v in SCHEDULERS.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    args = parser.parse_args(argv)
    data = build()
    if not args.check:
        OUT.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {OUT}")
        return 0
    old = json.loads(OUT.read_text())
    bad = [
        f"{part}/{key}"
        for part in ("quadratic", "schedulers")
        for key in data[part].keys() | old[part].keys()
        if key not in old[part]
        or key not in data[part]
        or not np.allclose(
            np.asarray(old[part][key] if part == "quadratic" else old[part][key]["lr"]),
            np.asarray(data[part][key] if part == "quadratic" else data[part][key]["lr"]),
            rtol=1e-10,
            atol=1e-13,
        )
    ]
    print("differs: " + ", ".join(bad) if bad else f"{OUT.name} matches torch {torch.__version__}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
