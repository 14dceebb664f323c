"""Ports for test servers: never one an outgoing connection can take in the meantime."""

import socket

import pytest

from deploy.local import engines
from deploy.local.engines import ephemeral_range, free_port


def test_a_free_port_is_outside_the_ephemeral_range_and_bindable() -> None:
    low, high = ephemeral_range()

    port = free_port()

    assert not low <= port <= high
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", port))


def test_a_port_is_handed_out_once_per_process() -> None:
    ports = [free_port() for _ in range(200)]

    assert len(set(ports)) == len(ports)


def test_a_port_in_use_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the two highest ports remain outside this pretend ephemeral range.
    monkeypatch.delenv(engines.PORT_RANGE_VARIABLE, raising=False)
    monkeypatch.setattr(engines, "ephemeral_range", lambda: (1024, 65533))
    monkeypatch.setattr(engines, "_handed_out", set())
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 65534))
        taken.listen()

        assert free_port() == 65535
        with pytest.raises(RuntimeError, match="no free port"):
            free_port()


def test_a_configured_range_is_where_every_port_comes_from(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parallel test worker's slice (tests/conftest.py): workers never pick the same port."""
    monkeypatch.setenv(engines.PORT_RANGE_VARIABLE, "20000-20049")
    monkeypatch.setattr(engines, "_handed_out", set())

    ports = [free_port() for _ in range(40)]  # ten spare for what this machine may hold

    assert set(ports) <= set(range(20000, 20050))
    assert len(set(ports)) == 40
