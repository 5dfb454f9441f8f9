# expect: 4
# A loop that swallows the interrupt: the kernel is killed and restarted; the cells before it
# are replayed, it is skipped, and the last cell (q3) runs.
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
