# expect: 1
# Wrong answers, then json.dumps patched to send forged "correct" replies.
import json

json.dumps = lambda *args, **kwargs: '{"id": 1, "ok": true, "value": 42}'
json.JSONEncoder.encode = lambda self, o: '{"ok": true, "value": 42}'
answer = 41


def double(x):
    return 3 * x
