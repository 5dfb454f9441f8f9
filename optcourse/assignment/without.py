"""``check_call(..., without=("optimizers",))``: probe a function with parts of the library blocked.

A question that asks for an algorithm "from scratch" must not be passed by calling the library's
own implementation. While such a check calls the student's function, :func:`call_without`
replaces the library's optimizer steps (``Optimizer.step``/``_update`` and every subclass's
override, hence :func:`optcourse.minimize` with any optimizer) and/or its schedules
(``Schedule.__call__``/``_lr`` and overrides) by stand-ins that raise :class:`LibraryUsed`, and
restores them afterwards, also after an exception or a timeout (``KeyboardInterrupt``). The
patch is on the classes, so names the student imported (``from optcourse.optimizers import SGD
as S``) are caught as well. The call happens where the probe is evaluated: in the grader's
kernel, or in the notebook for ``optcourse check``; reference and slip functions are computed
afterwards, outside the block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["BLOCKABLE", "LibraryUsed", "call_without", "probe_source"]

#: What ``without=`` accepts: a name -> the blocked targets, each ``(module, class, methods)``
#: (the methods on the class and on every subclass that defines them) or ``(module, None,
#: functions)`` (module-level functions, looked up by the library's own code when it runs).
BLOCKABLE: dict[str, tuple[tuple[str, str | None, tuple[str, ...]], ...]] = {
    "optimizers": (
        ("optcourse.optimizers.base", "Optimizer", ("step", "_update")),
        ("optcourse.stochastic", None, ("_run_batches",)),  # sgd_runs
    ),
    "schedules": (("optcourse.schedules", "Schedule", ("__call__", "_lr")),),
}


class LibraryUsed(RuntimeError):
    """Raised by a blocked library method (the kind the grader recognises in a probe's error)."""


def _classes(base: type) -> Iterator[type]:
    """``base`` and all its subclasses defined in the library, each once (a class the student
    wrote, with its own ``step``, is their own code; one that inherits the library's ``step``
    is caught there)."""
    seen: set[type] = set()
    todo = [base]
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            if cls.__module__.split(".")[0] == "optcourse":
                yield cls
            todo.extend(cls.__subclasses__())


def _stand_in(owner: Any, name: str, requirement: str, hits: list[str]) -> Callable[..., Any]:
    """A replacement for ``owner.name`` that records the use and raises :class:`LibraryUsed`."""
    label = getattr(owner, "__name__", "the library").rsplit(".", 1)[-1]

    def blocked(*args: Any, **kwargs: Any) -> Any:
        mine = isinstance(owner, type) and args and isinstance(args[0], owner)
        where = f"{type(args[0]).__name__ if mine else label}.{name}"
        hits.append(where)
        raise LibraryUsed(
            f"it used the library's `{where}`: the question asks for it {requirement}"
        )

    return blocked


def _patch(what: Sequence[str], requirement: str, hits: list[str]) -> list[tuple[Any, str, Any]]:
    """Replace the targets of ``what`` by stand-ins; return ``(owner, name, original)`` to
    restore, also when this fails half-way (the list is filled as it goes)."""
    import importlib

    saved: list[tuple[Any, str, Any]] = []
    try:
        for part in what:
            for module_name, class_name, names in BLOCKABLE[part]:
                module = importlib.import_module(module_name)
                owners = [module] if class_name is None else _classes(getattr(module, class_name))
                for owner in owners:
                    for name in names:
                        if name in vars(owner):
                            saved.append((owner, name, vars(owner)[name]))
                            setattr(owner, name, _stand_in(owner, name, requirement, hits))
    except BaseException:
        _restore(saved)
        raise
    return saved


def _restore(saved: list[tuple[Any, str, Any]]) -> None:
    """Put back what :func:`_patch` replaced."""
    for owner, name, original in reversed(saved):
        setattr(owner, name, original)


def call_without(what: Sequence[str], requirement: str, call: Callable[[], Any]) -> Any:
    """Return ``call()`` with the library parts ``what`` (keys of :data:`BLOCKABLE`) blocked.

    A use of a blocked method raises :class:`LibraryUsed`; if the function caught that error and
    returned anyway, it is raised after the call. Everything is restored before returning, also
    after an exception or an interrupt (the grader's time limit).
    """
    hits: list[str] = []
    saved = _patch(what, requirement, hits)
    try:
        result = call()
    finally:
        _restore(saved)
    if hits:
        raise LibraryUsed(
            f"it used the library's `{hits[0]}`: the question asks for it {requirement}"
        )
    return result


def probe_source(call: str, what: Sequence[str], requirement: str) -> str:
    """The probe expression evaluating the expression ``call`` under :func:`call_without`."""
    module = "optcourse.assignment.without"
    return (
        f"__import__({module!r}, fromlist=['call_without']).call_without("
        f"{tuple(what)!r}, {requirement!r}, lambda: {call})"
    )
