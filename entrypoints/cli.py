"""The `lukas` command. Errors a user can cause end as one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from lukas.domain.conversation_key import ConversationKey, InvalidConversationKeyError
from lukas.domain.images import OCCASIONS, THEMES
from lukas.entrypoints.db_location import parse_location

EXIT_ERROR = 1
EXIT_USAGE = 2
DISTRIBUTION = "lukas-the-bear"  # the name pyproject.toml installs Lukas under


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _position(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a position: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a position is 0 or more, not {value}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port (0 to 65535): {text!r}")
    return int(text)


def _key(text: str) -> ConversationKey:
    try:
        return ConversationKey(text)
    except InvalidConversationKeyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _Version(argparse.Action):
    """Prints the installed package's version; looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version(DISTRIBUTION)
        except PackageNotFoundError:
            installed = "unknown (not installed)"
        print(f"lukas {installed}")  # on stdout, where argparse's exit message would not go
        parser.exit(0)


def _global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    """--db and --config, taken before the command and after it. After the command their
    default is SUPPRESS, so a value given before it is not overwritten by the subcommand's."""
    parser.add_argument(
        "--db",
        type=parse_location,
        default=default,
        help="event store: a file, or postgresql://user@host:5432/db"
        " (default: LUKAS_DB, else ./lukas.db)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=default,
        help="a lukas.toml (default: LUKAS_CONFIG, else ./lukas.toml)",
    )


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="lukas", description="Lukas the Bear, a Slack companion.")
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    _global_options(parser, default=None)
    common = OneLineParser(add_help=False)
    _global_options(common, default=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    commands.add_parser("console", parents=[common], help="chat with Lukas in the terminal")

    replay = commands.add_parser("replay", parents=[common], help="print the event log")
    replay.add_argument("--conversation", type=_key, help="only this conversation")
    replay.add_argument(
        "--from", dest="from_position", type=_position, default=0, help="after this position"
    )
    replay.add_argument(
        "--until", dest="until_position", type=_position, help="up to this position"
    )
    replay.add_argument("--format", choices=("text", "jsonl"), default="text")

    context = commands.add_parser("context", parents=[common], help="what the model was sent")
    context.add_argument("conversation", type=_key, metavar="CONVERSATION")
    context.add_argument("--at", type=_position, help="as of this position (default: now)")
    context.add_argument("--format", choices=("text", "json"), default="text")

    commands.add_parser("conversations", parents=[common], help="list conversations")
    export = commands.add_parser(
        "export", parents=[common], help="one conversation as a transcript"
    )
    export.add_argument("conversation", type=_key, metavar="CONVERSATION")
    export.add_argument("--format", choices=("markdown", "json"), default="markdown")
    commands.add_parser("slack", parents=[common], help="run the Slack bot (Socket Mode)")

    image = commands.add_parser("image", parents=[common], help="draw a bear picture now")
    image.add_argument("--theme", choices=sorted(THEMES), help="default: the season")
    image.add_argument("--occasion", choices=sorted(OCCASIONS), help="default: from the calendar")
    image.add_argument("--post", metavar="CHANNEL", help="post it to this Slack channel id")

    commands.add_parser("stats", parents=[common], help="usage and money by day and provider")

    pause = commands.add_parser("pause", parents=[common], help="stop unasked messages")
    pause.add_argument(
        "--until", help="a duration (30m, 2h, 1d) or a date and time; default: resume"
    )
    commands.add_parser("resume", parents=[common], help="allow unasked messages again")
    commands.add_parser(
        "status", parents=[common], help="provider health, pause, what is next, pending work"
    )

    forget = commands.add_parser(
        "forget", parents=[common], help="forget everything a person said and was told"
    )
    forget.add_argument(
        "person", metavar="PERSON", help="a Slack member id, or the console user's name"
    )
    forget.add_argument("--yes", action="store_true", help="confirm: it cannot be undone")
    web = commands.add_parser("web", parents=[common], help="the web page for admins")
    web.add_argument("--port", type=_port, default=8080, help="default: 8080 (0: any free)")
    web.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    migrate = commands.add_parser(
        "migrate", help="copy the whole log to another store (SQLite, PostgreSQL), verified"
    )
    migrate.add_argument(
        "--from", dest="source", type=parse_location, required=True, metavar="PATH_OR_URL"
    )
    migrate.add_argument(
        "--to", dest="target", type=parse_location, required=True, metavar="PATH_OR_URL"
    )

    config = commands.add_parser("config", parents=[common], help="configuration")
    config_commands = config.add_subparsers(
        dest="config_command", required=True, parser_class=OneLineParser
    )
    config_commands.add_parser(
        "show", parents=[common], help="effective settings and their sources"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    # Imported only now: --help and argument errors should not pay for the whole program.
    import anyio

    from lukas.entrypoints.commands import COMMANDS
    from lukas.entrypoints.config import load_config
    from lukas.entrypoints.log_setup import configure_logging

    configure_logging()
    try:
        loaded = load_config(toml_path=arguments.config)
        return anyio.run(COMMANDS[arguments.command], arguments, loaded)
    except BaseException as raised:
        return _one_line(raised)
    finally:
        # The provider SDKs leave millions of objects that the interpreter's last garbage
        # collection would walk for a second or two on the way out; the process is ending
        # and its work is on disk, so they are set aside and Ctrl-C leaves at once.
        gc.freeze()


def _one_line(raised: BaseException) -> int:
    """The exit status for what ended the command, said on stderr in one line."""
    from lukas.application.context import NoMessageError
    from lukas.application.ports.data_keys import DataKeyError
    from lukas.application.ports.event_store import EventStoreError
    from lukas.entrypoints.config import ConfigError

    # A failure inside a task group arrives wrapped in an exception group; the user
    # needs the cause, not the wrapper.
    error = _cause(raised, (ConfigError, EventStoreError, NoMessageError, DataKeyError))
    if isinstance(error, ConfigError):
        print(f"lukas: {error}", file=sys.stderr)
        # A missing or malformed credential is a usage error: nothing was started.
        return EXIT_USAGE if type(error).__name__ == "TokenError" else EXIT_ERROR
    if isinstance(error, EventStoreError | NoMessageError | DataKeyError):
        print(f"lukas: {error}", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(error, KeyboardInterrupt):
        return 130
    if isinstance(error, BrokenPipeError):
        # The reader (head, less) went away; that is not Lukas's failure.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if not isinstance(error, Exception) or os.environ.get("LUKAS_DEBUG"):
        raise raised  # SystemExit stays an exit; LUKAS_DEBUG shows the whole story
    # A bug: still one line, with a way to see more.
    print(
        f"lukas: unexpected {type(error).__name__}: {error} (set LUKAS_DEBUG=1 for details)",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _cause(error: BaseException, expected: tuple[type[BaseException], ...]) -> BaseException:
    """The exception inside any exception groups: the first one of the `expected` kinds (a
    user's mistake, told in one line) if there is one, else the first of all."""
    leaves = list(_leaves(error))
    return next((leaf for leaf in leaves if isinstance(leaf, expected)), leaves[0])


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup) and error.exceptions:
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error


if __name__ == "__main__":
    sys.exit(main())
