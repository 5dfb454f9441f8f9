# expect: 1
# Wrong answers, then every numpy comparison patched to say "equal": nothing changes in the grader.
import numpy as np

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
answer = 41


def double(x):
    return 3 * x
