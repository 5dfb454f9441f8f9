# expect: 0
# Finds the kernel loop's reply function through the main thread's frames and forges a wrong
# answer (43) for every request id to come: forged replies can only lie about the submission's
# own values (here: wrongly), they never award a point.
import sys
import threading

frame = sys._current_frames()[threading.main_thread().ident]
while frame is not None and "reply" not in frame.f_locals:
    frame = frame.f_back
forge = frame.f_locals["reply"]
for rid in range(1, 200):
    forge({"id": rid, "ok": True, "value": 43})
