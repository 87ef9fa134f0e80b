"""The `wlid` commands, one module per family; each registers itself on the group (cli/group.py)."""
