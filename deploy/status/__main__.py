"""``python -m deploy.status`` (``make status``): what is stuck, where, and since when.

    python -m deploy.status [--json] [--verbose] [--threshold NAME=VALUE ...]
    python -m deploy.status dead-letters list [--json] [--newest N]
    python -m deploy.status dead-letters replay TOPIC PARTITION:OFFSET [--reason TEXT]
    python -m deploy.status dead-letters discard TOPIC PARTITION:OFFSET --reason TEXT
    python -m deploy.status dead-letters history

Addresses come from the environment (the platform's settings), and from the running embedded
stack's ``DATA_DIR/stack.json`` for what it leaves unset. The report exits 1 when something
is stuck beyond its threshold or a source cannot be read (so it can run from cron), 0
otherwise; a refused or invalid command exits 2.
"""

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Sequence

from deploy.status.render import render
from libs.operations.collect import collect_report, database
from libs.operations.dead_letters import DeadLetterError, MessageRef
from libs.operations.desk import LiveOperationsDesk
from libs.operations.report import Thresholds
from libs.operations.sources import OperationsSettings, Sources

OK, STUCK, REFUSED = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m deploy.status", description="What is stuck, where, and since when."
    )
    main.add_argument("--json", action="store_true", help="print the report as JSON")
    main.add_argument("--verbose", action="store_true", help="details of every source")
    main.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=f"override a threshold ({', '.join(Thresholds.model_fields)})",
    )
    commands = main.add_subparsers(dest="command")
    letters = commands.add_parser("dead-letters", help="list, replay or discard dead letters")
    actions = letters.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="unhandled messages, newest first")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--newest", type=int, default=20)
    actions.add_parser("history", help="who replayed or discarded what, newest first")
    for name, text in (
        ("replay", "publish the message to its source topic again"),
        ("discard", "mark the message handled without publishing it"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("topic")
        action.add_argument("position", metavar="PARTITION:OFFSET")
        action.add_argument("--reason", default="", required=name == "discard")
        action.add_argument(
            "--actor", default=f"cli:{getpass.getuser()}", help="recorded in the audit"
        )
    return main


def message_ref(topic: str, position: str) -> MessageRef:
    partition, sep, offset = position.partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise DeadLetterError(f"PARTITION:OFFSET expected, got {position!r}")
    return MessageRef(topic, int(partition), int(offset))


def thresholds(overrides: Sequence[str]) -> Thresholds:
    pairs: dict[str, str] = {}
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep:
            raise ValueError(f"--threshold {override!r}: NAME=VALUE expected")
        pairs[name.strip()] = value.strip()
    return Thresholds().with_overrides(pairs)


async def report_command(args: argparse.Namespace, sources: Sources) -> int:
    try:
        limits = thresholds(args.threshold)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return REFUSED
    report = await collect_report(sources, limits)
    print(report.model_dump_json(indent=2) if args.json else render(report, verbose=args.verbose))
    return STUCK if report.stuck else OK


async def dead_letters_command(args: argparse.Namespace, settings: OperationsSettings) -> int:
    async with database(Sources.from_settings(settings).database_url) as sessions:
        desk = LiveOperationsDesk(settings, sessions)
        try:
            if args.action == "list":
                letters = await desk.dead_letters(newest=args.newest)
                if args.json:
                    print(letters.model_dump_json(indent=2))
                for topic in [] if args.json else letters.topics:
                    print(f"{topic.topic}: {topic.depth} unhandled")
                    for letter in topic.newest:
                        print(
                            f"  {letter.partition}:{letter.offset} {letter.timestamp:%F %T} "
                            f"{letter.event_type or '-'} key={letter.key} {letter.error} "
                            f"{json.dumps(letter.summary)}"
                        )
                return OK
            if args.action == "history":
                for action in await desk.history(limit=50):
                    print(
                        f"{action.acted_at:%F %T} {action.actor} {action.decision} "
                        f"{action.topic} {action.partition}:{action.offset} {action.reason}"
                    )
                return OK
            ref = message_ref(args.topic, args.position)
            handle = desk.replay if args.action == "replay" else desk.discard
            done = await handle(ref, actor=args.actor, reason=args.reason)
        except DeadLetterError as error:
            print(f"refused: {error}", file=sys.stderr)
            return REFUSED
    print(f"{done.decision}: {done.topic} {done.partition}:{done.offset} by {done.actor}")
    return OK


async def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # The report says which source is unreachable; the clients' own retries need not.
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    settings = OperationsSettings()
    if args.command == "dead-letters":
        return await dead_letters_command(args, settings)
    return await report_command(args, Sources.from_settings(settings))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
