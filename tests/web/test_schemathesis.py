"""schemathesis against the live server's OpenAPI schema: whatever the generated input, never a 5xx.

Each operation gets a bounded number of generated cases (positive and negative); every reply must be below
500 and every JSON error reply must carry an "error" field. Once with `--auth none`, once with `--auth users`
as a logged-in admin (an admin-scoped API token, so that a generated logout cannot end the run's login).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.live import LiveServer

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module", params=["none", "users"])
def api_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = Path(tmp_path_factory.mktemp("schemathesis"))
    live = LiveServer(data, env={"THREADKEEP_AUTH": request.param})
    live.headers = {}  # type: ignore[attr-defined]
    if request.param == "users":
        run = [sys.executable, "-m", "threadkeep", "user", "add", "admin", "--admin", "--password-stdin",
               "--data-dir", str(data)]
        subprocess.run(run, input="schema-pass-1\n", text=True, check=True, capture_output=True)
        made = subprocess.run([sys.executable, "-m", "threadkeep", "token", "create", "fuzz", "--user", "admin",
                               "--scope", "admin", "--data-dir", str(data)], text=True, check=True,
                              capture_output=True)
        live.headers = {"Authorization": f"Bearer {made.stdout.strip()}"}  # type: ignore[attr-defined]
    live.start()
    import httpx

    assert httpx.get(f"{live.base}/api/sessions", headers=live.headers).status_code == 200  # type: ignore[attr-defined]
    yield live
    live.stop()


def operations(base: str) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_no_operation_answers_a_server_error(api_server: LiveServer) -> None:
    ops = operations(api_server.base)
    assert len(ops) >= 20
    failures: list[str] = []
    for op in ops:
        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=api_server.base, headers=api_server.headers)  # type: ignore[attr-defined]
            where = f"{case.method} {case.formatted_path} {case.query or ''} {case.body!r:.200}"
            assert response.status_code < 500, f"{where} -> {response.status_code} {response.text[:300]}"
            if response.status_code >= 400 and "json" in response.headers.get("content-type", [""])[0]:
                assert "error" in response.json(), where

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0])
    assert not failures, "\n".join(failures)
    assert "Traceback" not in api_server.log_path.read_text()


def test_the_openapi_document_says_what_the_server_does(api_server: LiveServer) -> None:
    """`st run --checks all`: documented status codes, content types and schemas, schema-valid input accepted
    (what a schema cannot say is in schemathesis.toml), negative input refused, Allow on 405."""
    root = Path(__file__).resolve().parents[2]
    st = Path(sys.executable).with_name("st")
    run = subprocess.run(
        [str(st), "run", f"{api_server.base}/openapi.json", "--checks", "all", "--max-examples", "10",
         "--no-color", "--seed", "1", *[f"--header={k}: {v}" for k, v in api_server.headers.items()]],  # type: ignore[attr-defined]
        cwd=root, capture_output=True, text=True, timeout=600)
    tail = run.stdout[run.stdout.find("FAILURES"):][:8000] if "FAILURES" in run.stdout else run.stdout[-3000:]
    assert run.returncode == 0, tail
    assert " passed" in tail and "failures" not in tail.split("Test cases:")[-1], tail
