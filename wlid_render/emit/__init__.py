"""Emitters: pure functions from a Plan to a list of Artifacts (path, text)."""
