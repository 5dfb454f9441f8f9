# expect: 0
# Swaps an idle pipe in over the kernel's command descriptor and keeps the real one open, so
# the kernel never reads another command; the next cell is 200 kB, more than a pipe holds. The
# grader's write must time out (not block for ever); the replayed swap leaves nothing to grade.
import fcntl
import os
import stat

_kept = []
for _fd in range(3, 256):
    try:
        _mode = os.fstat(_fd).st_mode
        _flags = fcntl.fcntl(_fd, fcntl.F_GETFL)
    except OSError:
        continue
    if stat.S_ISFIFO(_mode) and _flags & os.O_ACCMODE == os.O_RDONLY:
        _idle_r, _idle_w = os.pipe()
        _kept += [os.dup(_fd), _idle_r, _idle_w]  # the real pipe stays open, never read
        os.dup2(_idle_r, _fd)
# %% size=200000
padding = "the grader writes this cell while the kernel reads an idle pipe"
