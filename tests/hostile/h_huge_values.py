# expect: 1
# Values the grader must refuse quickly and clearly: an integer of a million digits (whose text
# the grader's JSON parser would refuse) and a list nested 100 000 levels deep.
import sys

sys.set_int_max_str_digits(0)
answer = 10**10**6


def _deep(n):
    out = []
    for _ in range(n):
        out = [out]
    return out


def double(x):
    return _deep(100_000)
