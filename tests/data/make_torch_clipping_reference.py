"""Write ``torch_clipping_reference.json``: torch's gradient clipping on seeded gradients.

Run with torch installed (``pip install torch==2.13.0``; torch is never a dependency of optcourse)::

    python tests/data/make_torch_clipping_reference.py          # write the JSON
    python tests/data/make_torch_clipping_reference.py --check  # compare with the stored JSON

Each case is a list of gradient arrays (float64, one per "parameter"), drawn from a seeded NumPy
generator, given to ``torch.nn.utils.clip_grad_norm_`` (with ``max_norm`` and ``norm_type``) or to
``clip_grad_value_`` (with ``clip_value``); the JSON stores the inputs, the clipped gradients and
the total norm torch returns. ``tests/test_clipping.py`` compares optcourse.clipping with it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("torch_clipping_reference.json")

#: (name, shapes of the gradients, scale, kind, threshold, norm_type)
CASES = [
    ("norm2_clipped", [(3, 4), (4,), (2, 3)], 2.0, "norm", 1.0, 2.0),
    ("norm2_not_clipped", [(5,), (2, 2)], 0.1, "norm", 10.0, 2.0),
    ("norm2_single_vector", [(7,)], 3.0, "norm", 0.5, 2.0),
    ("norm2_zero_max", [(3,)], 1.0, "norm", 0.0, 2.0),
    ("norminf_clipped", [(3, 4), (6,)], 2.0, "norm", 0.3, math.inf),
    ("norminf_not_clipped", [(4,), (4,)], 0.01, "norm", 5.0, math.inf),
    ("norm1_clipped", [(4,), (3, 2)], 1.0, "norm", 2.0, 1.0),
    ("value_clipped", [(3, 4), (5,)], 2.0, "value", 0.5, None),
    ("value_not_clipped", [(6,)], 0.1, "value", 1.0, None),
]


def exactly_at_max_norm() -> dict:
    """A gradient whose norm is exactly max_norm: torch still scales it by c/(c + 1e-6)."""
    g = [np.array([3.0, 4.0])]
    return case("norm2_at_max_norm", g, "norm", 5.0, 2.0)


def case(name: str, grads: list[np.ndarray], kind: str, threshold: float, norm_type) -> dict:
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.tensor(g, dtype=torch.float64)
    entry = {
        "name": name,
        "kind": kind,
        "threshold": threshold,
        "norm_type": "inf" if norm_type == math.inf else norm_type,
        "grads": [g.tolist() for g in grads],
    }
    if kind == "norm":
        total = torch.nn.utils.clip_grad_norm_(params, threshold, norm_type=norm_type)
        entry["total_norm"] = float(total)
    else:
        torch.nn.utils.clip_grad_value_(params, threshold)
    entry["clipped"] = [p.grad.numpy().tolist() for p in params]
    return entry


def build() -> dict:
    rng = np.random.default_rng(20261201)
    cases = []
    for name, shapes, scale, kind, threshold, norm_type in CASES:
        grads = [scale * rng.normal(size=s) for s in shapes]
        cases.append(case(name, grads, kind, threshold, norm_type))
    cases.append(exactly_at_max_norm())
    return {"torch_version": torch.__version__, "cases": cases}


def main() -> int:
    data = build()
    if "--check" in sys.argv:
        stored = json.loads(OUT.read_text())
        for a, b in zip(stored["cases"], data["cases"], strict=True):
            for x, y in zip(a["clipped"], b["clipped"], strict=True):
                np.testing.assert_allclose(x, y, rtol=1e-12)
        print("matches", OUT.name)
        return 0
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print("wrote", OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
