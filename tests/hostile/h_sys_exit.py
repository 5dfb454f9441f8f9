# expect: 4
# sys.exit in a cell: like Jupyter, the cell stops and the notebook goes on.
import sys

sys.exit(0)
