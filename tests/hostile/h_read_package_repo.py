# expect: 3
# Finds the checkout the package is installed from (an editable install, pip install -e) through
# optcourse.__file__ and reads the master notebooks there (solutions/, or any folder of it);
# answers 42 only if it read one, so q1 is lost unless the grader leaks the checkout.
import glob
import os

import optcourse

repo = os.path.dirname(os.path.dirname(os.path.realpath(optcourse.__file__)))
found = ""
for path in glob.glob(os.path.join(repo, "*", "*.ipynb")):
    try:
        with open(path) as fh:
            found += fh.read()
    except OSError:
        pass
answer = 42 if '"cells"' in found else 41
