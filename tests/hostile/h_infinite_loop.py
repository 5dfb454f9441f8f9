# expect: 4
# An infinite loop: interrupted at the cell time limit; the cells after it still run.
while True:
    pass
