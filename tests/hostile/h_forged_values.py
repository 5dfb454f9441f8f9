# expect: 1
# Values with forged __eq__, __float__, __repr__ and __array__.
import numpy as np


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

    def __float__(self):
        return 42.0

    def __int__(self):
        return 42

    def __array__(self, dtype=None, copy=None):
        return np.array(42)


class Liar(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__

    def __float__(self):
        return 1e9

    def __repr__(self):
        return "exactly right"


answer = AlwaysEqual()


def double(x):
    return Liar(0.0)
