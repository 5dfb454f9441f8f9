"""Graded exercises: the master-notebook format, ``optcourse assign`` and ``optcourse check``.

``load_assignment(path)`` reads a master notebook (``solutions/NN_topic.ipynb``) into an
:class:`Assignment` whose ``tests`` are :class:`TestSpec` objects the grader evaluates.

The modules, each importing only those listed before it (``tests/test_import_graph.py`` checks
that the package has no import cycle):

* ``values``: answers as plain data, and how one is compared with the expected one;
* ``without``: probing a function with the library's optimizers or schedules blocked
  (``check_call(..., without=...)``);
* ``specs``: the immutable tests (``make_probes(rng) -> Probes``, ``judge(probes, values)``);
* ``checks``: the check functions of a test cell, and the recording mode (``Recorder``);
* ``notebook``: reading notebooks, cell roles, questions, recording a notebook's tests;
* ``student``: the student notebook of a master;
* ``master``: :class:`Assignment` and :func:`load_assignment`;
* ``assign``: ``optcourse assign``; ``protocol``: the line a kernel prints for ``optcourse
  check``; ``check``: ``optcourse check``;
* ``session``: the notebook mode (feedback lines, ``check_all``, ``run_test_cell``);
* ``cli``: the ``assign`` and ``check`` subcommands.

:mod:`optcourse.exercise`, what students import, is a facade over ``checks`` and ``session``;
:mod:`optcourse.grading` uses ``master`` and ``specs``. Neither is imported from here.
"""

from optcourse.assignment.master import Assignment, load_assignment
from optcourse.assignment.notebook import AssignmentError, NoHiddenTestError, Question, Role
from optcourse.assignment.specs import ProbeError, TestSpec, Verdict

__all__ = [
    "Assignment",
    "AssignmentError",
    "NoHiddenTestError",
    "ProbeError",
    "Question",
    "Role",
    "TestSpec",
    "Verdict",
    "load_assignment",
]
