"""The `lukas` command. Errors a user can cause end as one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import NoReturn

import anyio

from lukas.adapters.system_clock import SystemClock
from lukas.application.context import ContextBuilder, NoMessageError
from lukas.application.ports.event_store import EventStoreError
from lukas.application.proactive import ProactiveSwitch
from lukas.domain.context_window import ContextLimits
from lukas.domain.conversation_key import ConversationKey, InvalidConversationKeyError
from lukas.domain.images import OCCASIONS, THEMES
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
from lukas.entrypoints import inspection
from lukas.entrypoints.config import SETTINGS, ConfigError, LoadedConfig, load_config
from lukas.entrypoints.log_setup import configure_logging
from lukas.entrypoints.wiring import open_store, provider_key_variable, token_counter

EXIT_ERROR = 1
EXIT_USAGE = 2


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


def _key(text: str) -> ConversationKey:
    try:
        return ConversationKey(text)
    except InvalidConversationKeyError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="lukas", description="Lukas the Bear, a Slack companion.")
    common = OneLineParser(add_help=False)
    common.add_argument(
        "--db", type=Path, help="event store file (default: LUKAS_DB, else ./lukas.db)"
    )
    common.add_argument(
        "--config", type=Path, help="a lukas.toml (default: LUKAS_CONFIG, else ./lukas.toml)"
    )
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

    config = commands.add_parser("config", help="configuration")
    config_commands = config.add_subparsers(
        dest="config_command", required=True, parser_class=OneLineParser
    )
    config_commands.add_parser(
        "show", parents=[common], help="effective settings and their sources"
    )
    return parser


def _db_path(arguments: argparse.Namespace, loaded: LoadedConfig) -> Path:
    return arguments.db if arguments.db is not None else Path(loaded.config.db)


async def _replay(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    async with open_store(_db_path(arguments, loaded), create=False) as store:
        await inspection.replay(
            store,
            sys.stdout,
            conversation=arguments.conversation,
            from_position=arguments.from_position,
            until_position=arguments.until_position,
            as_json=arguments.format == "jsonl",
        )
    return 0


async def _context(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    config = loaded.config
    counter = token_counter(config)
    builder = ContextBuilder.for_prompt(
        PERSONA_SYSTEM_PROMPT,
        counter.count(PERSONA_SYSTEM_PROMPT),
        ContextLimits(max_pairs=config.history_pairs, max_tokens=config.context_tokens),
    )
    async with open_store(_db_path(arguments, loaded), create=False) as store:
        await inspection.show_context(
            store,
            builder,
            arguments.conversation,
            arguments.at,
            sys.stdout,
            encoding=counter.encoding_name,
            as_json=arguments.format == "json",
        )
    return 0


async def _conversations(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    async with open_store(_db_path(arguments, loaded), create=False) as store:
        await inspection.list_conversations(store, sys.stdout)
    return 0


async def _console(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.console import run_console  # loads any-llm: seconds, chat only

    return await run_console(loaded.config, _db_path(arguments, loaded), os.environ)


async def _slack(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.slack_bot import run_slack  # loads slack-sdk and any-llm

    return await run_slack(loaded.config, _db_path(arguments, loaded), os.environ)


async def _image(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.picture_command import make_picture_now

    return await make_picture_now(
        loaded.config,
        _db_path(arguments, loaded),
        os.environ,
        theme=arguments.theme,
        occasion=arguments.occasion,
        post_to=arguments.post,
    )


async def _stats(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    async with open_store(_db_path(arguments, loaded), create=False) as store:
        await inspection.show_stats(store, sys.stdout)
    return 0


async def _pause(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.proactivity import pause_end, timezone_of

    clock = SystemClock()
    until = (
        pause_end(arguments.until, clock.now(), timezone_of(loaded.config))
        if arguments.until
        else None
    )
    async with open_store(_db_path(arguments, loaded), create=True) as store:
        await ProactiveSwitch(store, clock).pause(f"cli:{getpass.getuser()}", until)
    print(f"Lukas keeps quiet unasked until {until.isoformat() if until else 'resumed'}.")
    return 0


async def _resume(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    async with open_store(_db_path(arguments, loaded), create=True) as store:
        await ProactiveSwitch(store, SystemClock()).resume(f"cli:{getpass.getuser()}")
    print("Lukas may speak up unasked again (in active hours).")
    return 0


async def _config_show(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    config = loaded.config
    for setting in SETTINGS:
        value: object = config
        for part in setting.path:
            value = getattr(value, part)
        if isinstance(value, tuple):
            value = ",".join(value)
        print(f"{setting.env}={'' if value is None else value}  ({loaded.sources[setting.env]})")
    variable = provider_key_variable(config.llm.model)
    if variable:
        state = "set" if os.environ.get(variable) else "not set"
        print(f"{variable}  ({state}; the value is never shown)")
    if loaded.toml_path:
        print(f"# read {loaded.toml_path}")
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace, LoadedConfig], Awaitable[int]]] = {
    "console": _console,
    "replay": _replay,
    "context": _context,
    "conversations": _conversations,
    "slack": _slack,
    "image": _image,
    "stats": _stats,
    "pause": _pause,
    "resume": _resume,
    "config": _config_show,
}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    configure_logging()
    try:
        loaded = load_config(toml_path=arguments.config)
        return anyio.run(_COMMANDS[arguments.command], arguments, loaded)
    except ConfigError as error:
        print(f"lukas: {error}", file=sys.stderr)
        # A missing or malformed credential is a usage error: nothing was started.
        return EXIT_USAGE if type(error).__name__ == "TokenError" else EXIT_ERROR
    except (EventStoreError, NoMessageError) as error:
        print(f"lukas: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away; that is not Lukas's failure.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a bug: still one line, with a way to see more
        if os.environ.get("LUKAS_DEBUG"):
            raise
        print(
            f"lukas: unexpected {type(error).__name__}: {error} (set LUKAS_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
