"""Fake model providers and a fake identity provider for the tests: real HTTP servers on 127.0.0.1, scripted per test.

Registered from tests/conftest.py (`pytest_plugins`), this module provides the fixtures `fake_openai`
(an OpenAI-compatible server, see openai_server.py), `fake_anthropic` (Anthropic's Messages API, see
anthropic_server.py) and `fake_oidc` (an OpenID Connect identity provider, see oidc_server.py). Each test
gets a fresh server on a free port, stopped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.oidc_server import FakeOidc
from tests.fakes.openai_server import FakeOpenAI

__all__ = ["FakeAnthropic", "FakeOidc", "FakeOpenAI", "fake_anthropic", "fake_oidc", "fake_openai"]


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    yield server
    server.stop()


@pytest.fixture
def fake_oidc() -> Iterator[FakeOidc]:
    server = FakeOidc()
    server.start()
    yield server
    server.stop()
