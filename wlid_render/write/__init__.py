"""Compare rendered files with OUT and bring OUT up to date: the only code that touches OUT.

What wlid touches, refuses and keeps is stated in docs/safety.md; in short:

* OUT is found first: a symbolic link named as OUT is followed (the folder it points to is OUT), a
  file is refused. A folder without `.wlid/manifest.json` is never walked: an empty one is used, a
  non-empty one refused unless `--force` (and even then not `/`, a mount point, the home folder, a
  folder holding the current one, a Git checkout's root or a folder of more than FORCE_MAX_ENTRIES).
* Inside OUT nothing is followed: a symbolic link is an entry like a file. Entries that wlid did not
  write (not listed in the manifest) are kept as they are, whatever they are (files, links, empty
  folders, FIFOs, sockets); one where wlid would now write is refused unless `--force`.
* The new tree is built beside OUT (unchanged and foreign entries hard-linked, folders with their
  modes) and exchanged with OUT in one rename; `recover` finishes what an interrupted render left.

The modules, in the order a render uses them:

* `scan`: finding OUT and listing what is in it, without following links or leaving its filesystem;
* `comparison`: what writing the files would create, change, remove and keep (`compare`);
* `recovery`: the lock of a render and the recovery of what an interrupted one left;
* `swap`: staging the new tree and the atomic swap (`apply`);
* `replace`: one file replaced all at once (`replace_file`: the spec `wlid bind` edits, a schema);
* `disk`: the system calls that make a write durable and atomic;
* `errors`: why OUT may not or cannot be written.

Callers use the names below; nothing else of this package is an interface.
"""

from wlid_render.write.comparison import FORCE_MAX_ENTRIES, Action, Change, Comparison, compare
from wlid_render.write.errors import ForeignEntries, UnownedTree, WriteError
from wlid_render.write.recovery import LOCK_TIMEOUT, locked, recover
from wlid_render.write.replace import replace_file
from wlid_render.write.swap import apply

__all__ = [
    "FORCE_MAX_ENTRIES",
    "LOCK_TIMEOUT",
    "Action",
    "Change",
    "Comparison",
    "ForeignEntries",
    "UnownedTree",
    "WriteError",
    "apply",
    "compare",
    "locked",
    "recover",
    "replace_file",
]
