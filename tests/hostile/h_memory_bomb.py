# expect: 4
# A memory bomb: stopped by the address-space limit (MemoryError); the notebook goes on.
import numpy as np

blocks = []
while True:
    blocks.append(np.empty(2**26))
