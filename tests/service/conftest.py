"""Fixtures of the service tests: a real server per module (see service_fixtures.py)."""

from __future__ import annotations

import pytest
from service_fixtures import start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A service with a token, two plans queued at most, on the tiny office scenario."""
    srv = start_server(tmp_path_factory.mktemp("service"), args=("--queue", "2"))
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    return server.client()


@pytest.fixture
def anonymous(server):
    return server.client(token=None)
