"""Graded exercises: the master-notebook format, ``optcourse assign`` and ``optcourse check``.

``load_assignment(path)`` reads a master notebook (``solutions/NN_topic.ipynb``) into an
:class:`Assignment` whose ``tests`` are :class:`TestSpec` objects the grader evaluates.
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
