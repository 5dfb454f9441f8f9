# expect: 3
# An answer with millions of elements is refused (q1 lost), without harming anything else.
answer = [0.0] * 3_000_000
