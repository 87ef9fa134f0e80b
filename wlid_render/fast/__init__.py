"""Speed code, behind one boundary: what exists only to make wlid fast, each piece with a plain
equivalent it is proven (property-tested) to match. The rest of the code reads as if speed were free."""
