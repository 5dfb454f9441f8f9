# expect: 4
# Leaves folders nested 3,000 deep in /tmp and in its working folder: the clean-up once raised
# RecursionError there, which turned this correct notebook into a grader error worth 0.
import os
import secrets

_start = os.getcwd()
for _base in ("/tmp", _start):
    os.chdir(_base)
    _name = f"optcourse-deep-{secrets.token_hex(6)}"
    os.mkdir(_name)
    os.chdir(_name)
    for _ in range(3000):
        os.mkdir("d")
        os.chdir("d")
    with open("leaf.txt", "w") as _fh:
        _fh.write("x")
os.chdir(_start)
