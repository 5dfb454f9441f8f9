# expect: 4
# Tries to kill its parent, its process group and every process it can signal.
import contextlib
import os
import signal

if os.getuid() != 0:  # never run this as root (the test checks the kernel is unprivileged)
    for target in (os.getppid(), 1, -1):
        with contextlib.suppress(OSError):
            os.kill(target, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.killpg(os.getpgid(0), signal.SIGTERM)
