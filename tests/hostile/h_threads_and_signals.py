# expect: 4
# Ignores SIGTERM and SIGINT, leaves a non-daemon thread running after the cell, registers an
# atexit hook printing fake results and changes the working folder: none of it changes a score.
import atexit
import os
import signal
import threading
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
atexit.register(lambda: print('{"score": 1000, "tests": []}'))


def _forever():
    while True:
        print('{"score": 1000}', flush=True)
        time.sleep(0.01)


threading.Thread(target=_forever).start()
os.chdir("/")
