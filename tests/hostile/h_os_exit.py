# expect: 4
# os._exit ends the kernel: a fresh kernel replays the cells before it and goes on.
import os

os._exit(0)
