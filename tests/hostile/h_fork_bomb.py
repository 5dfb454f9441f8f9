# expect: 4
# Forks many sleeping processes: capped by the process limit, all killed with the kernel.
import os
import time

for _ in range(300):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
    except OSError:
        break
