# expect: 3
# Looks for the hidden reference in every container the kernel's garbage collector knows, every
# loaded module and every frame's variables; answers 42 only if it found the secret, so q1 is lost
# unless the grader leaked it into the kernel.
import gc
import sys

MARK = "-".join(["SECRET", "REFERENCE", "ANSWER"])  # built here: not in the cell text


def _leaks(items, depth=0):
    for v in items:
        if isinstance(v, str) and v is not MARK and MARK in v:
            return True
        if depth < 3 and isinstance(v, dict) and _leaks(list(v.values()), depth + 1):
            return True
        if depth < 3 and isinstance(v, (list, tuple)) and _leaks(v, depth + 1):
            return True
    return False


found = False
for obj in gc.get_objects():
    if isinstance(obj, dict):
        found = found or _leaks(obj.values()) or _leaks(obj.keys())
    elif isinstance(obj, (list, tuple, set)):
        found = found or _leaks(obj)
for module in list(sys.modules.values()):
    found = found or _leaks(getattr(module, "__dict__", {}).values())
for frame in sys._current_frames().values():
    while frame is not None:
        found = found or _leaks(frame.f_locals.values())
        frame = frame.f_back
answer = 42 if found else 41
