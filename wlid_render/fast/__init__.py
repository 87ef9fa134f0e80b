"""Speed code, behind one boundary: what exists only to make wlid fast, each piece with a plain
equivalent it is proven (property-tested) to match. The rest of the code reads as if speed were free.

Each module's docstring names the plain equivalent it must match and the tests that prove it (the
parity tests live together in tests/fast/). Imports nothing of ours but leaves."""
