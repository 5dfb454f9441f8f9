# expect: 1
# Answers whose classes lie: a numpy subclass with a forged tolist/__array__, a list and a dict
# subclass with a forged __iter__/items. The grader reads what the objects really store.
import numpy as np


class Arr(np.ndarray):
    def tolist(self):
        return 42

    def __array__(self, dtype=None, copy=None):
        return np.array(42)


class FakeList(list):
    def __iter__(self):
        return iter(["done"])


class FakeDict(dict):
    def items(self):
        return [("x", 42)]

    def __iter__(self):
        return iter(["x"])


def double(x):
    return np.zeros(()).view(Arr)


answer = FakeDict(x=41)
wrapped = FakeList([41])
