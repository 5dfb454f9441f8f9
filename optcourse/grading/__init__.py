"""Grading student notebooks safely: ``optcourse grade`` and ``optcourse autograder``.

* :mod:`~optcourse.grading.isolation`: which protections this machine allows;
* :mod:`~optcourse.grading.kernel`: the isolated student process (fresh, limited, unprivileged);
* :mod:`~optcourse.grading.probe`: the program inside it, answering probes with plain data;
* :mod:`~optcourse.grading.grade`: grading one submission (judged in this process);
* :mod:`~optcourse.grading.batch`: grading a class (parallel, resumable, interruptible);
* :mod:`~optcourse.grading.results`: results.json (Gradescope's format), feedback, grades.csv;
* :mod:`~optcourse.grading.gradescope`: the Gradescope autograder bundle;
* :mod:`~optcourse.grading.report`: the HTML class report of a graded class;
* :mod:`~optcourse.grading.manual`: the answers graded by a person, out to a page, scores back in;
* :mod:`~optcourse.grading.cli`: the subcommands.

Grading never trusts the student's process about pass or fail: it only asks it for values and
judges them here, against references the student's process never sees.
"""

from optcourse.grading.batch import grade_all
from optcourse.grading.grade import grade_submission
from optcourse.grading.kernel import Kernel, KernelLimits, isolation_mode

__all__ = ["Kernel", "KernelLimits", "grade_all", "grade_submission", "isolation_mode"]
