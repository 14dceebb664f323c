"""``python -m deploy.status``: its exit code (cron runs it), its text and JSON, its sources."""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from deploy.status import __main__ as cli
from libs.messages.topics import NOTIFICATIONS_DLQ
from libs.operations.dead_letters import DeadLetterError
from libs.operations.report import (
    StatusReport,
    Thresholds,
)
from libs.operations.sources import OperationsSettings, Sources
from tests.unit.libs.operations.desks import poison, sample_report


def report(*, outbox_age: timedelta, limits: Thresholds) -> StatusReport:
    return sample_report(outbox_age=outbox_age, limits=limits)


@pytest.fixture
def collected(monkeypatch: pytest.MonkeyPatch) -> list[Thresholds]:
    """Replaces the engines: the report is built from the thresholds the CLI passes."""
    seen: list[Thresholds] = []

    async def fake_collect(_sources: Sources, limits: Thresholds) -> StatusReport:
        seen.append(limits)
        return report(outbox_age=timedelta(minutes=6), limits=limits)

    monkeypatch.setattr(cli, "collect_report", fake_collect)
    return seen


class TestExitCode:
    async def test_something_stuck_exits_1_with_where_and_since_when(
        self, collected: list[Thresholds], capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert await cli.main([]) == 1
        out = capsys.readouterr().out
        assert "EIG platform status at 2026-12-01 12:00:00 UTC: STUCK" in out
        assert "stuck    Outbox (intake → Kafka)" in out
        assert "- 12 rows pending, the oldest for 6m00s" in out
        assert "12 messages behind in 1/1 groups" in out
        assert "lag 12 (committed" not in out  # details only for what is not ok

    async def test_a_replayed_copy_dead_lettered_again_names_the_original(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        copy = poison(offset=7).model_copy(update={"replayed_from": f"{NOTIFICATIONS_DLQ}:0:3"})

        async def fake_collect(_sources: Sources, limits: Thresholds) -> StatusReport:
            return sample_report(limits=limits, dead_letters=[copy])

        monkeypatch.setattr(cli, "collect_report", fake_collect)
        assert await cli.main([]) == 1
        line = f"{NOTIFICATIONS_DLQ} 0:7 (replay of {NOTIFICATIONS_DLQ}:0:3) from "
        assert line in capsys.readouterr().out

    async def test_a_raised_threshold_makes_it_pass(
        self, collected: list[Thresholds], capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert await cli.main(["--threshold", "outbox_oldest_seconds=600", "--verbose"]) == 0
        assert collected[-1].outbox_oldest_seconds == 600
        out = capsys.readouterr().out
        assert ": OK" in out
        assert "eig.dossier-events.v1[1] lag 12 (committed 40, end 52, oldest 30s)" in out

    async def test_json_carries_levels_and_facts(
        self, collected: list[Thresholds], capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert await cli.main(["--json"]) == 1
        document = json.loads(capsys.readouterr().out)
        assert document["level"] == "stuck"
        assert document["outbox"]["level"] == "stuck"
        assert document["outbox"]["pending"] == 12
        assert document["consumer_lag"]["groups"][0]["partitions"][0]["lag"] == 12

    async def test_an_unknown_threshold_is_refused_with_exit_2(
        self, collected: list[Thresholds], capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert await cli.main(["--threshold", "outbox=1"]) == 2
        assert "unknown threshold(s): outbox" in capsys.readouterr().err
        assert collected == []


class TestSources:
    def test_the_running_stacks_addresses_fill_what_the_environment_leaves_unset(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "stack.json").write_text(
            json.dumps(
                {
                    "database_url": "sqlite:////stack/eig.db",
                    "urls": {
                        "kafka": "127.0.0.1:19092",
                        "temporal": "127.0.0.1:17233",
                        "temporal_ui": "http://127.0.0.1:18233",
                        "smtp": "127.0.0.1:11025",
                        "intake": "http://127.0.0.1:18000",
                        "workflows": "http://127.0.0.1:18004",
                        "workflows_health": "http://127.0.0.1:18004/healthz",
                    },
                }
            )
        )
        settings = OperationsSettings(
            _env_file=None, DATA_DIR=tmp_path, TEMPORAL_ADDRESS="temporal.prod:7233"
        )

        sources = Sources.from_settings(settings)

        assert sources.database_url == "sqlite:////stack/eig.db"
        assert sources.kafka.bootstrap_servers == "127.0.0.1:19092"
        assert sources.temporal_address == "temporal.prod:7233"
        assert sources.temporal_ui_url == "http://127.0.0.1:18233"
        assert (sources.smtp_host, sources.smtp_port) == ("127.0.0.1", 11025)
        assert dict(sources.service_urls) == {
            "intake": "http://127.0.0.1:18000",
            "workflows": "http://127.0.0.1:18004",
        }

    def test_without_a_stack_the_settings_are_used(self, tmp_path: Path) -> None:
        settings = OperationsSettings(
            _env_file=None, DATA_DIR=tmp_path, KAFKA_BOOTSTRAP_SERVERS="kafka-1:9092"
        )
        sources = Sources.from_settings(settings)
        assert sources.kafka.bootstrap_servers == "kafka-1:9092"
        assert set(sources.service_urls) == {
            "intake",
            "selection",
            "contracts",
            "notifications",
            "workflows",
            "console",
        }


class TestDeadLetterArguments:
    def test_a_position_is_partition_colon_offset(self) -> None:
        ref = cli.message_ref("eig.notifications.dlq.v1", "0:17")
        assert (ref.partition, ref.offset) == (0, 17)
        with pytest.raises(DeadLetterError, match="PARTITION:OFFSET"):
            cli.message_ref("eig.notifications.dlq.v1", "17")

    def test_discard_needs_a_reason(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exit_info:
            cli.parser().parse_args(["dead-letters", "discard", "t", "0:1"])
        assert exit_info.value.code == 2
        assert "--reason" in capsys.readouterr().err
