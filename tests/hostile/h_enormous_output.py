# expect: 4
# Prints without end: the output is capped and the loop is interrupted at the time limit.
while True:
    print("y" * 100_000)
