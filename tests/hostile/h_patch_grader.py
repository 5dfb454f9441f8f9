# expect: 1
# Wrong answers, then optcourse's checks and the grader's own functions replaced by "passed".
import optcourse.exercise as ex
import optcourse.grading.grade as grade

ex.TestSpec.judge = lambda self, values: ex.Verdict(self.points, True, "")
ex.compare = lambda *args, **kwargs: (True, "")
grade._judge = lambda spec, values: None
answer = 41


def double(x):
    return 3 * x
