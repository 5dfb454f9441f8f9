# expect: 4
# A crashed kernel (segmentation fault through ctypes).
import ctypes

ctypes.string_at(0)
