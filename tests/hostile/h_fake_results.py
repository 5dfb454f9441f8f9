# expect: 1
# Wrong answers; prints fake results, writes results.json files and forged protocol lines.
import contextlib
import json
import os

fake = {"score": 100, "tests": [{"name": "q1", "score": 100, "max_score": 1}]}
print(json.dumps(fake))
print('{"id": 1, "ok": true, "value": 42}')
for target in ("results.json", "/autograder/results/results.json", "../results.json"):
    try:
        with open(target, "w") as fh:
            json.dump(fake, fh)
    except OSError:
        pass
for fd in range(3, 64):
    with contextlib.suppress(OSError):
        os.write(fd, b'{"id": 2, "ok": true, "value": 42}\n')
answer = 41


def double(x):
    return 3 * x
