"""The `wlid` group, and the one mapping of errors to exit codes.

Exit codes, for every command: 0 ok; 1 drift only (`render --check` found a difference, `drift` found
one); 2 every error: an invalid spec or outputs file, a usage mistake, a failed write, error findings of
`wlid validate` and `render --validate`, a stale tree for `whatif`; 130 interrupted; 141 when the reader
of stdout went away.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click

from wlid_render import __version__
from wlid_render.cli.echo import colour, echo_problems, echo_summary, error_count
from wlid_render.cli.options import examples

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`wlid ... | head`)


class Failure(click.ClickException):
    """A user's mistake or a failed operation: `error: <message>` on stderr, exit 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        shown = colour()
        label = click.style("error:", fg="red", bold=True) if shown else "error:"
        click.echo(f"{label} {self.format_message()}", err=True, color=shown)


def exit_with(code: int) -> NoReturn:
    raise click.exceptions.Exit(code)


class Command(click.Command):
    """A `wlid` command: a usage mistake found by the workflow is shown with this command's usage."""

    def invoke(self, ctx: click.Context) -> Any:
        from wlid_render.workflow.errors import UsageMistake

        try:
            return super().invoke(ctx)
        except UsageMistake as exc:
            if exc.option is not None:
                raise click.BadParameter(str(exc), ctx=ctx, param_hint=exc.option) from None
            raise click.UsageError(str(exc), ctx=ctx) from None


# command -> the module of cli/commands that defines it; a module is imported when one of its commands
# is asked for, so that `wlid render` does not load what `wlid drift` needs
COMMAND_MODULES = {
    "bind": "deploy",
    "drift": "azure",
    "explain": "explain",
    "import": "azure",
    "init": "start",
    "render": "render",
    "schema": "start",
    "validate": "validate",
    "whatif": "deploy",
}


class Group(click.Group):
    """The `wlid` group: every command's errors end here and leave with one mapping of exit codes."""

    command_class = Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            # registers the command on `main`; `__import__` (not importlib.import_module) so that
            # `python -X importtime` lists the module as it lists every other
            __import__(f"wlid_render.cli.commands.{COMMAND_MODULES[cmd_name]}")
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        from wlid_render.errors import SpecError
        from wlid_render.input_limits import InputError as LimitError
        from wlid_render.repo_paths import UnsafePath
        from wlid_render.workflow.errors import WorkflowError, WriteError

        try:
            return super().invoke(ctx)
        except SpecError as exc:
            echo_problems(exc.problems)
            count = error_count(exc.problems)
            files = sorted({p.file for p in exc.problems if p.file})
            where = f" in {', '.join(files)}" if files else ""
            echo_summary(f"{count} error{'s' if count != 1 else ''}{where}")
            exit_with(EXIT_ERROR)
        except (WorkflowError, WriteError, LimitError, UnsafePath) as exc:  # an operation that cannot be
            # done, OUT or a file refused, an input past its limits, a path pipelines cannot name literally
            raise Failure(str(exc)) from None
        except click.ClickException as exc:
            exc.exit_code = EXIT_ERROR  # click's own errors exit 1 (a file it cannot open) or 2 (usage)
            raise
        except BrokenPipeError:
            exit_with(EXIT_BROKEN_PIPE)
        except OSError as exc:  # a file or folder the user named cannot be read or written
            what = exc.strerror or str(exc)
            raise Failure(f"{exc.filename}: {what}" if exc.filename else what) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            exit_with(EXIT_INTERRUPTED)


@click.group(
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=examples(
        "wlid init                          # a starter wlid.yaml",
        "wlid render                        # ./wlid.yaml -> out/<name>",
        "wlid render --check --diff         # what a render would change",
        "wlid render -o - --env prod | kubectl apply -f -",
        "wlid explain --env prod            # what is wired to what",
        "wlid bind --env prod outputs.json  # pin client IDs after the deployment",
    )
    + "\n\nExit codes: 0 ok, 1 drift (render --check, drift), 2 any error. Help of a command: wlid COMMAND -h",
)
@click.version_option(__version__, prog_name="wlid")
def main() -> None:
    """Render Azure Workload Identity wiring for AKS (ARM, Bicep, Kustomize) from one spec."""
