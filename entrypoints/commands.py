"""What each `lukas` command does, once its arguments are parsed.

Kept apart from the parser so that `lukas --help` and argument errors import none of this.
Each command imports what it alone needs when it runs: the commands that only read the log
(replay, stats, context, conversations, config show) never import a provider SDK, Slack or
the use cases chat wires, and start in a fraction of a second.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Awaitable, Callable

from lukas.entrypoints.config import LoadedConfig
from lukas.entrypoints.db_location import Location, parse_location
from lukas.entrypoints.store_and_tokens import open_checkpoints, open_store


def _db_path(arguments: argparse.Namespace, loaded: LoadedConfig) -> Location:
    return arguments.db if arguments.db is not None else parse_location(loaded.config.db)


async def _replay(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints import inspection
    from lukas.entrypoints.pictures import timezone_of

    async with open_store(_db_path(arguments, loaded), create=False) as store:
        await inspection.replay(
            store,
            sys.stdout,
            conversation=arguments.conversation,
            from_position=arguments.from_position,
            until_position=arguments.until_position,
            as_json=arguments.format == "jsonl",
            zone=timezone_of(loaded.config),
        )
    return 0


async def _context(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.application.context import ContextBuilder
    from lukas.domain.context_window import ContextLimits
    from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
    from lukas.entrypoints import inspection
    from lukas.entrypoints.store_and_tokens import token_counter

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


async def _export(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.export_command import export
    from lukas.entrypoints.pictures import timezone_of

    timezone = timezone_of(loaded.config)
    async with open_store(_db_path(arguments, loaded), create=False) as store:
        return await export(
            store,
            arguments.conversation,
            sys.stdout,
            sys.stderr,
            timezone=timezone,
            as_json=arguments.format == "json",
        )


async def _conversations(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints import inspection

    db = _db_path(arguments, loaded)
    async with (
        open_store(db, create=False, check="before_writing") as store,
        open_checkpoints(db) as checkpoints,
    ):
        await inspection.list_conversations(store, checkpoints, sys.stdout)
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
    from lukas.entrypoints import inspection

    db = _db_path(arguments, loaded)
    async with (
        open_store(db, create=False, check="before_writing") as store,
        open_checkpoints(db) as checkpoints,
    ):
        await inspection.show_stats(store, checkpoints, sys.stdout)
    return 0


async def _pause(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.adapters.system_clock import SystemClock
    from lukas.application.proactive import ProactiveSwitch
    from lukas.entrypoints.pause_end import pause_end
    from lukas.entrypoints.pictures import timezone_of
    from lukas.entrypoints.times import in_words

    clock = SystemClock()
    timezone = timezone_of(loaded.config)
    until = pause_end(arguments.until, clock.now(), timezone) if arguments.until else None
    async with open_store(_db_path(arguments, loaded), create=True) as store:
        await ProactiveSwitch(store, clock).pause(f"cli:{getpass.getuser()}", until)
    print(f"Lukas keeps quiet unasked until {in_words(until, timezone) if until else 'resumed'}.")
    return 0


async def _status(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.status_command import show_status

    return await show_status(
        loaded.config, _db_path(arguments, loaded), os.environ, sys.stdout, sys.stderr
    )


async def _resume(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.adapters.system_clock import SystemClock
    from lukas.application.proactive import ProactiveSwitch

    async with open_store(_db_path(arguments, loaded), create=True) as store:
        await ProactiveSwitch(store, SystemClock()).resume(f"cli:{getpass.getuser()}")
    print("Lukas may speak up unasked again (in active hours).")
    return 0


async def _config_show(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    """Each setting's value in force and where it came from (entrypoints/effective_settings).
    Every value was parsed when the configuration was loaded, so a bad one never gets here:
    it ends the command with one line naming it."""
    from lukas.entrypoints.effective_settings import recorded_changes, setting_rows
    from lukas.entrypoints.provider_keys import provider_key_variable

    config = loaded.config
    changes = await recorded_changes(_db_path(arguments, loaded), loaded)
    for row in setting_rows(loaded, changes):
        print(f"{row.env}={row.value}  ({row.source})")
    variable = provider_key_variable(config.llm.model)
    if variable:
        state = "set" if os.environ.get(variable) else "not set"
        print(f"{variable}  ({state}; the value is never shown)")
    if loaded.toml_path:
        print(f"# read {loaded.toml_path}")
    return 0


async def _web(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.web.serve import run_web  # loads Starlette and uvicorn

    return await run_web(
        loaded, _db_path(arguments, loaded), os.environ, host=arguments.host, port=arguments.port
    )


async def _forget(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.forget_command import forget

    db = _db_path(arguments, loaded)
    return await forget(db, arguments.person, confirmed=arguments.yes, out=sys.stdout)


async def _migrate(arguments: argparse.Namespace, loaded: LoadedConfig) -> int:
    from lukas.entrypoints.migrate_command import migrate

    return await migrate(arguments.source, arguments.target, sys.stdout, sys.stderr)


COMMANDS: dict[str, Callable[[argparse.Namespace, LoadedConfig], Awaitable[int]]] = {
    "console": _console,
    "replay": _replay,
    "context": _context,
    "conversations": _conversations,
    "export": _export,
    "slack": _slack,
    "image": _image,
    "stats": _stats,
    "pause": _pause,
    "resume": _resume,
    "status": _status,
    "config": _config_show,
    "web": _web,
    "migrate": _migrate,
    "forget": _forget,
}
