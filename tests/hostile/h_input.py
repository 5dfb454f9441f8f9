# expect: 4
# Reads standard input: it gets end-of-file, never the grader's commands.
name = input("your name? ")
