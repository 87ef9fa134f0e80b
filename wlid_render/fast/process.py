"""The `wlid` process, made cheap to start and to end. Nothing here changes what a command prints, writes
or exits with; each piece is proven so by tests/test_fast_process.py.

* `skip_plugin_discovery`: the spec is validated with wlid's own pydantic models only. Left alone,
  pydantic searches every installed distribution for plugins (entry points) when it builds the first
  model, which costs milliseconds at each start. PYDANTIC_DISABLE_PLUGINS=__all__ skips the search;
  a value the user set is kept. With the search off, pydantic's loader module (pydantic/plugin/
  _loader.py) would still import importlib.metadata, and with it email, socket, zipfile, csv and
  calendar, only to return no plugins (its `get_plugins` returns () first thing when the variable
  is `__all__`, `1` or `true`): in that case a stand-in whose `get_plugins` returns () takes its
  place. Any other value (plugins named one by one) leaves pydantic's loader alone.
* `without_gc`: no cyclic garbage collection during a command. A render allocates millions of
  short-lived objects and almost no cycles, and each full collection walks the whole heap, which made
  large renders grow faster than linearly. Reference counting still frees memory.
* `exit_now`: a render leaves a large heap behind, and tearing the interpreter down (freeing every
  object, clearing every module) costs more than a small render itself. Nothing needs it: output is
  flushed first, files are closed and locks released by the kernel.

`run_program` puts the three together around the command line, and lets `wlid render` answer a
quiet re-render or check of an unchanged spec and OUT from its memo (fast/render_memo.py); library
callers and tests call the click group itself and get none of them.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import NoReturn

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`wlid ... | head`)

whole_process = False  # True in the `wlid` process (run_program), never in library callers


PLUGINS_SWITCH = "PYDANTIC_DISABLE_PLUGINS"
ALL_PLUGINS_OFF = ("__all__", "1", "true")  # the values pydantic's get_plugins reads as "none at all"
PLUGIN_LOADER = "pydantic.plugin._loader"


def skip_plugin_discovery() -> None:
    """Tell pydantic not to look for plugins (unless PYDANTIC_DISABLE_PLUGINS is set already); when
    no plugin is wanted, answer pydantic's question for plugins without importing its loader."""
    os.environ.setdefault(PLUGINS_SWITCH, "__all__")
    if os.environ[PLUGINS_SWITCH] in ALL_PLUGINS_OFF and PLUGIN_LOADER not in sys.modules:
        sys.modules[PLUGIN_LOADER] = _no_plugins_loader()


def _no_plugins_loader() -> ModuleType:
    """A module with the one name pydantic imports from its plugin loader: `get_plugins`, that
    returns no plugin."""
    loader = ModuleType(PLUGIN_LOADER, "pydantic's plugin loader when every plugin is disabled")

    def get_plugins() -> tuple[()]:
        return ()

    loader.get_plugins = get_plugins  # type: ignore[attr-defined]
    return loader


@contextmanager
def without_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block; the collector's state is restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def exit_now(code: int) -> NoReturn:
    """Flush stdout and stderr and end the process with `code`, skipping the interpreter's teardown.

    A reader of stdout that went away (`wlid ... | head`) turns a success into 141; a flush that fails
    otherwise, into 2.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = code or EXIT_BROKEN_PIPE
    except OSError:
        code = code or EXIT_ERROR
    os._exit(code)


def run_program(main: Callable[[], object]) -> NoReturn:
    """Run a command line (`main`, a click command that exits through SystemExit) as the whole
    process: plugins not searched, no cyclic collection, then a quick exit with its code."""
    global whole_process
    whole_process = True
    skip_plugin_discovery()
    try:
        with without_gc():
            main()
        code = EXIT_OK
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or EXIT_OK
        else:  # sys.exit("message"): print it as Python would
            print(exc.code, file=sys.stderr)
            code = EXIT_ERROR
    exit_now(code)
