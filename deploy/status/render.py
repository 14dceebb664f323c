"""The report as text for a terminal: one line per source, then what is wrong and where."""

from collections.abc import Iterator
from datetime import datetime

from libs.messages.topics import ConsumerGroups
from libs.operations.report import (
    ConsumerLag,
    DeadLetters,
    Deadlines,
    Emails,
    GroupLag,
    Level,
    OutboxStatus,
    Readiness,
    ReconcilerStatus,
    Section,
    StatusReport,
    Workflows,
    age_seconds,
    duration,
)


def _consumers(section: ConsumerLag) -> list[GroupLag]:
    """The consumers' groups; the dead-letter bookkeeping group has its own section."""
    return [group for group in section.groups if group.group != ConsumerGroups.OPS_DEAD_LETTERS]


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _headline(section: Section, now: datetime) -> str:
    if section.error is not None:
        return "unreadable"
    match section:
        case Readiness():
            ready = sum(service.status == "ready" for service in section.services)
            return f"{ready}/{len(section.services)} ready"
        case OutboxStatus():
            age = age_seconds(section.oldest_pending_at, now)
            return f"{section.pending} pending, oldest {duration(age)}, {section.failing} failing"
        case ConsumerLag():
            groups = _consumers(section)
            behind = [group for group in groups if group.lag]
            total = sum(group.lag for group in groups)
            return f"{total} messages behind in {len(behind)}/{len(groups)} groups"
        case DeadLetters():
            depth = sum(topic.depth for topic in section.topics)
            return f"{depth} unhandled in {len(section.topics)} topics"
        case Workflows():
            dossiers = sum(count.count for count in section.counts)
            return f"{section.running} running, {dossiers} dossiers, {len(section.failing)} failing"
        case Emails():
            sent, failed = sum(section.sent.values()), sum(section.failed.values())
            smtp = {True: "SMTP up", False: "SMTP DOWN", None: "SMTP not checked"}
            return (
                f"last hour: {sent} sent, {failed} failed attempts, delay p50 "
                f"{duration(section.delay_p50_seconds)} p95 {duration(section.delay_p95_seconds)};"
                f" {smtp[section.smtp_reachable]}"
            )
        case ReconcilerStatus():
            return (
                f"last round {duration(age_seconds(section.last_run_at, now))} ago, "
                f"{section.unconfirmed} unconfirmed (oldest "
                f"{duration(age_seconds(section.oldest_unconfirmed_at, now))}), "
                f"{section.republished_total} republished"
            )
        case Deadlines():
            overdue = sum(stage.count for stage in section.overdue)
            return f"{overdue} overdue dossiers, {len(section.lapsing_offers)} offers lapsing soon"
    return ""


def _details(section: Section, now: datetime) -> Iterator[str]:
    """Where it is: the rows behind the headline that need attention."""
    match section:
        case ConsumerLag():
            for group in _consumers(section):
                for row in group.partitions:
                    if row.lag:
                        age = duration(age_seconds(row.oldest_unconsumed_at, now))
                        yield (
                            f"{group.group:<34} {row.topic}[{row.partition}] lag {row.lag} "
                            f"(committed {row.committed}, end {row.end}, oldest {age})"
                        )
        case DeadLetters():
            for topic in section.topics:
                for letter in topic.newest:
                    facts = " ".join(f"{key}={value}" for key, value in letter.summary.items())
                    again = f" (replay of {letter.replayed_from})" if letter.replayed_from else ""
                    yield (
                        f"{letter.topic} {letter.partition}:{letter.offset}{again} "
                        f"from {letter.source_topic} {letter.source_offset}: "
                        f"{_one_line(letter.error)} [{facts}]"
                    )
        case Workflows():
            for count in section.counts:
                yield f"{count.kind:<10} {count.status:<24} {count.count}"
        case Emails():
            for template in sorted(set(section.sent) | set(section.failed)):
                sent, failed = section.sent.get(template, 0), section.failed.get(template, 0)
                yield f"{template:<40} sent {sent:>5}  failed {failed:>4}"
    return


def render(report: StatusReport, *, verbose: bool = False) -> str:
    now = report.generated_at
    lines = [f"EIG platform status at {now:%Y-%m-%d %H:%M:%S} UTC: {report.level.value.upper()}"]
    for section in report.sections():
        lines.append(f"  {section.level.value:<8} {section.TITLE:<44} {_headline(section, now)}")
        for problem in section.problems:
            lines.append(f"             - {' '.join(problem.message.split())}")
        if verbose or section.level is not Level.OK:
            lines.extend(f"               {line}" for line in _details(section, now))
    return "\n".join(lines)
