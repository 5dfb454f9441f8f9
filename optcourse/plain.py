"""The value boundary: what a student's answer may be, as plain data (stdlib only).

An answer crosses from the student's notebook to whoever judges it as *plain data*: ``None``,
``bool``, ``int``, ``float`` (NaN and infinities kept), ``str``, and lists and dicts (string keys)
of these, nested. :func:`to_plain` makes that conversion, and it is the only one: the notebook's
feedback (``optcourse check``, the test cells) and the grader's kernel both call it, so a value is
accepted, converted or refused the same way in both places.

The rules (the one behaviour, tested in ``tests/test_plain.py``):

* numpy scalars and arrays of booleans, integers or reals become Python values and nested lists
  (``longdouble``, ``float32`` and ``float16`` become the ``float`` nearest to their value);
  tuples become lists. ``fractions.Fraction`` and ``decimal.Decimal`` numbers become the nearest
  ``float`` too (read from what they store, not through their methods), and so do SymPy numbers
  (``Integer`` becomes ``int``; ``sqrt(2)`` the nearest float; matrices nested lists). Complex
  numbers, arrays of other dtypes (complex, strings, objects), sets, functions and arbitrary
  objects are refused, with a message naming the type.
* Dict keys must be strings: ``{1: 2.0}`` is refused (JSON would silently turn the key into
  ``"1"``, and an answer must not change on its way to the grader).
* Subclasses of ``int``, ``float``, ``str``, ``list``, ``dict`` and ``numpy.ndarray`` are read
  for what they store, through the built-in types' own methods: overriding ``__eq__``,
  ``__float__``, ``__iter__``, ``items``, ``tolist`` or ``__array__`` changes nothing.
* Size limits, the same everywhere: at most :data:`MAX_ITEMS` elements in all (containers and
  array entries count), :data:`MAX_DEPTH` levels of nesting, :data:`MAX_STR` characters per
  string and :data:`MAX_INT_BITS` bits per integer.
* ``...`` (the placeholder of an unanswered question), anywhere in the value, raises
  :class:`Unanswered`; anything refused raises :class:`NotPlainError`, a ``TypeError`` whose
  message starts with "it ..." or "a dict key ..." and names the problem.

This module imports nothing outside the standard library and finds numpy through
``sys.modules`` (it is only needed if the value could contain numpy objects, and then numpy is
already loaded). The grader sends its source text into the student's kernel together with
:mod:`optcourse.grading.probe` (see :func:`optcourse.grading.probe.kernel_program`), so that the
kernel never imports ``optcourse``; the built-ins it uses are bound when it is loaded, before any
student code runs, so patching ``builtins`` later changes nothing.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_INT_BITS",
    "MAX_ITEMS",
    "MAX_STR",
    "NotPlainError",
    "UNANSWERED_MESSAGE",
    "Unanswered",
    "to_plain",
]

#: Largest number of elements one value may contain (every container and array entry counts).
MAX_ITEMS = 1_000_000
#: Deepest nesting of lists/dicts accepted.
MAX_DEPTH = 32
#: Longest string accepted (characters).
MAX_STR = 100_000
#: Largest integer accepted, in bits (about 1200 digits: far beyond any float, and short enough
#: for the grader's ``json.loads``, which refuses integers of more than 4300 digits).
MAX_INT_BITS = 4096

#: What a student is told when an answer is still the ``...`` placeholder.
UNANSWERED_MESSAGE = "it is still `...`: replace the `...` with your answer"

# Bound now, so that student code patching the builtins cannot change how values are converted.
_isinstance, _type, _str, _list, _float, _int = isinstance, type, str, list, float, int
_bool, _complex, _tuple, _dict, _len = bool, complex, tuple, dict, len
_Ellipsis = Ellipsis


class NotPlainError(TypeError):
    """A value that cannot be an answer: not plain data, or beyond the size limits."""


class Unanswered(Exception):
    """The value is (or contains) the ``...`` placeholder: the question is not answered yet."""


def _type_name(obj: Any) -> str:
    return _str(_type(obj).__name__)


def to_plain(obj: Any, _depth: int = 0, _budget: list[int] | None = None) -> Any:
    """Convert ``obj`` to plain data, or raise :class:`NotPlainError` or :class:`Unanswered`.

    See the module docstring for what is accepted. The result is ``None``, a ``bool``, ``int``,
    ``float`` or ``str``, or a list or dict (string keys) of these, ready for JSON.
    """
    budget = _budget if _budget is not None else [MAX_ITEMS]
    if _depth > MAX_DEPTH:
        raise NotPlainError(f"it is nested more than {MAX_DEPTH} levels deep")
    budget[0] -= 1
    if budget[0] < 0:
        raise NotPlainError(f"it has more than {MAX_ITEMS} elements, too many for an answer")
    if obj is None or obj is True or obj is False:
        return obj
    if obj is _Ellipsis:
        if _depth == 0:
            raise Unanswered(UNANSWERED_MESSAGE)
        raise Unanswered("it still contains `...`: replace the `...` with your answer")
    if _isinstance(obj, _int):
        if _int.bit_length(obj) > MAX_INT_BITS:
            raise NotPlainError(f"it is an integer of more than {MAX_INT_BITS} bits")
        return _int.__index__(obj)
    if _isinstance(obj, _float):
        return _float.__float__(obj)
    if _isinstance(obj, _complex):
        raise NotPlainError("it is a complex number; expected a real number")
    if _isinstance(obj, _str):
        text = _str.__str__(obj)
        if _len(text) > MAX_STR:
            raise NotPlainError(f"it is a string longer than {MAX_STR} characters")
        return text
    if _isinstance(obj, (_list, _tuple)):
        items = _list.__iter__(obj) if _isinstance(obj, _list) else _tuple.__iter__(obj)
        return [to_plain(item, _depth + 1, budget) for item in items]
    if _isinstance(obj, _dict):
        out = {}
        for key, value in _dict.items(obj):
            if not _isinstance(key, _str):
                raise NotPlainError(f"a dict key has type {_type_name(key)}; expected str")
            out[_str.__str__(key)] = to_plain(value, _depth + 1, budget)
        return out
    numpy = sys.modules.get("numpy")
    if numpy is not None and _isinstance(obj, (numpy.ndarray, numpy.generic)):
        return _numpy_to_plain(numpy, obj, budget)
    exact = _exact_number_to_float(obj)
    if exact is not None:
        return exact
    sympy = sys.modules.get("sympy")
    if sympy is not None and _isinstance(obj, (sympy.Basic, sympy.MatrixBase)):
        return _sympy_to_plain(sympy, obj, _depth, budget)
    raise NotPlainError(
        f"it has type {_type_name(obj)}; expected a number, a string, a list, a dict "
        "or a numpy array"
    )


def _exact_number_to_float(obj: Any) -> float | None:
    """A ``Fraction`` or ``Decimal`` as the nearest float (None for other types).

    The modules are found through ``sys.modules`` (an object of their types means they are
    loaded); the stored value is read through the base classes, so a subclass overriding
    ``numerator`` or ``__float__`` changes nothing.
    """
    fractions = sys.modules.get("fractions")
    if fractions is not None and _isinstance(obj, fractions.Fraction):
        num = fractions.Fraction.numerator.__get__(obj)
        den = fractions.Fraction.denominator.__get__(obj)
        if _int.bit_length(num) > MAX_INT_BITS or _int.bit_length(den) > MAX_INT_BITS:
            raise NotPlainError(f"it is a Fraction with more than {MAX_INT_BITS} bits")
        try:
            return _int.__index__(num) / _int.__index__(den)
        except OverflowError:
            raise NotPlainError("it is a Fraction too large for a float") from None
    decimal = sys.modules.get("decimal")
    if decimal is not None and _isinstance(obj, decimal.Decimal):
        try:
            return _float(decimal.Decimal.__float__(obj))
        except (ValueError, OverflowError):
            raise NotPlainError("it is a Decimal that is not a number (a signalling NaN)") from None
    return None


def _sympy_to_plain(sympy: Any, obj: Any, depth: int, budget: list[int]) -> Any:
    """A SymPy number as a Python number (an ``Integer`` as ``int``, any other real number,
    ``Rational(1, 3)`` or ``sqrt(2)``, as the nearest float), ``true``/``false`` as bools and a
    matrix as nested lists; an expression with free symbols or a complex value is refused."""
    if _isinstance(obj, sympy.MatrixBase):
        return to_plain(sympy.MatrixBase.tolist(obj), depth, budget)
    if obj is sympy.true or obj is sympy.false:
        return obj is sympy.true
    if not _isinstance(obj, sympy.Expr):
        raise NotPlainError(f"it is a SymPy {_type_name(obj)}; expected a number")
    if not sympy.Expr.is_number.fget(obj):
        names = ", ".join(sorted(_str(x) for x in obj.free_symbols)[:3])
        raise NotPlainError(f"it is a SymPy expression in {names}; expected a number")
    if _isinstance(obj, sympy.Integer):
        return to_plain(_int(sympy.Integer.__int__(obj)), depth, budget)
    try:
        value = _complex(sympy.Expr.__complex__(obj))
    except (TypeError, ValueError, OverflowError):
        raise NotPlainError("it is a SymPy number that has no numeric value") from None
    if value.imag != 0:
        raise NotPlainError("it is a complex SymPy number; expected a real number")
    return value.real


def _numpy_to_plain(numpy: Any, obj: Any, budget: list[int]) -> Any:
    """A numpy array (nested lists) or scalar (a Python value) of booleans, integers or reals."""
    if _isinstance(obj, numpy.ndarray):
        arr = numpy.ndarray.view(obj, numpy.ndarray)  # the stored data, whatever the subclass
    else:
        arr = numpy.array(obj)  # a 0-d array holding the scalar
    kind = arr.dtype.kind
    if kind not in "biuf":
        what = "an array" if _isinstance(obj, numpy.ndarray) else "a numpy scalar"
        raise NotPlainError(f"it is {what} of dtype {arr.dtype}; expected real numbers")
    if arr.size > budget[0]:
        raise NotPlainError(f"it has more than {MAX_ITEMS} elements, too many for an answer")
    budget[0] -= _int(arr.size)
    if kind == "f" and arr.dtype != numpy.float64:  # longdouble's tolist() keeps numpy scalars
        arr = arr.astype(numpy.float64)
    return numpy.ndarray.tolist(arr)
