# expect: 3
# Tries to read the master notebook, its folder and other processes' memory and arguments;
# answers 42 only if it found the hidden reference, so q1 is lost unless the grader leaks it.
import os

MASTER = "__MASTER__"
found = ""
for path in (MASTER, os.path.dirname(MASTER)):
    try:
        if os.path.isdir(path):
            for name in os.listdir(path):
                with open(os.path.join(path, name)) as fh:
                    found += fh.read()
        else:
            with open(path) as fh:
                found += fh.read()
    except OSError:
        pass
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as fh:
                    found += fh.read().decode("latin-1")
            except OSError:
                pass
answer = 42 if "SECRET-REFERENCE" in found else 41
