"""The `graphflow` command group and its error handling (one line, no traceback)."""

from __future__ import annotations

import errno
import logging
import os
import sys

import click

from graphflow import __version__
from graphflow.errors import GraphflowError

# name -> module that defines a click command or group called `command`
COMMANDS = {
    "routes": "graphflow.cli.routes_cmd:routes",
    "leaks": "graphflow.cli.routes_cmd:leaks",
    "explain": "graphflow.cli.catalog_cmd:explain",
    "list": "graphflow.cli.catalog_cmd:list_cmd",
    "validate": "graphflow.cli.validate_cmd:validate",
    "export": "graphflow.cli.export_cmd:export",
    "neo4j": "graphflow.cli.neo4j_cmd:neo4j_group",
    "query": "graphflow.cli.neo4j_cmd:query_group",
    "cypher": "graphflow.cli.neo4j_cmd:cypher",
    "cut": "graphflow.cli.analysis_cmd:cut",
    "exposure": "graphflow.cli.analysis_cmd:exposure",
    "diff": "graphflow.cli.analysis_cmd:diff",
    "timeline": "graphflow.cli.analysis_cmd:timeline",
    "compare": "graphflow.cli.compare_cmd:compare",
    "brief": "graphflow.cli.brief_cmd:brief",
}


class LazyGroup(click.Group):
    """Imports each command's module only when that command (or the help) needs it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._load(name) is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        module, attr = spec.split(":")
        try:
            mod = __import__(module, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("graphflow.cli."):
                return None  # command not built yet
            raise
        return getattr(mod, attr, None)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            name = args[0] if args else ""
            from graphflow.errors import did_you_mean

            hint = did_you_mean(name, self.list_commands(ctx))
            if hint and "No such command" in str(exc):
                raise click.UsageError(f"{exc.message} ({hint})", ctx) from None
            raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="graphflow")
def cli() -> None:
    """graphflow: by which routes can an arrest reach immigration authorities?

    Routes, statuses and evidence come from a data pack (default: the bundled NYC pack).
    A research tool, not legal advice.
    """


_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT}


def _usage(exc: click.UsageError) -> str:
    param = getattr(exc, "param", None)
    opts = getattr(param, "opts", None)
    if (isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter)
            and isinstance(param, click.Option) and opts and exc.message):
        what = f"{max(opts, key=len)} {exc.message}"
    else:
        what = exc.format_message()
    path = exc.ctx.command_path if exc.ctx else "graphflow"
    return f"{what} (see `{path} --help`)".replace("\n", " ")


def _safe(text: str) -> str:
    from graphflow.report.tables import terminal_safe

    return terminal_safe(text)


def _quiet_stdout() -> None:
    """After stdout failed, point it at /dev/null so the interpreter's last flush is silent."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _os_error(exc: OSError) -> str:
    why = exc.strerror or str(exc)
    if exc.filename is None and exc.errno in _OUTPUT_ERRNOS:
        return f"cannot write the output: {why}"
    return f"{exc.filename}: {why}" if exc.filename is not None else why


def _password_prompt(text: str) -> str:
    return click.prompt(text, hide_input=True, err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every expected failure into one line on stderr."""
    from graphflow import tuning
    from graphflow.store import connection

    tuning.enable()  # one command per process: GC pauses/freeze and the pack cache (tuning.py)
    connection.password_prompt = _password_prompt
    # the driver logs the server's notifications as warnings, which Python prints on stderr:
    # graphflow's own queries draw them on a database that has never held a label, type or
    # property they name (a pack without conflicts: no ABOUT). `graphflow cypher` shows those
    # of a researcher's own query itself, from the query's summary.
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    try:
        cli.main(args=argv, prog_name="graphflow", standalone_mode=False)
        sys.stdout.flush()  # a full disk or closed pipe shows here, not at exit
    except GraphflowError as exc:
        click.echo(f"graphflow: error: {_safe(exc.one_line())}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("graphflow: aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:  # one line too, saying where to find the usage
        click.echo(f"graphflow: error: {_safe(_usage(exc))}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("graphflow: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # the reader went away (`graphflow routes | head`): not an error
        _quiet_stdout()
        sys.exit(0)
    except OSError as exc:  # out of space, a name too long, ...: one line, no traceback
        _quiet_stdout()
        click.echo(f"graphflow: error: {_safe(_os_error(exc))}", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: still one line, unless debugging
        if os.environ.get("GRAPHFLOW_DEBUG"):
            raise
        click.echo(f"graphflow: internal error: {type(exc).__name__}: {_safe(str(exc))} "
                   "(set GRAPHFLOW_DEBUG=1 for a traceback, and please report it)", err=True)
        sys.exit(70)
