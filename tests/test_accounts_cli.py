"""`threadkeep user ...`, `threadkeep token ...` and `serve --auth` as users run them (subprocesses), on SQLite
and PostgreSQL: the first admin takes over what single-user mode made, passwords from stdin, tokens that work
against a live server, and a server that refuses to expose an unauthenticated port."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from tests.live import LiveServer, free_port
from tests.test_cli import run


def cli(data: Path, *args: str, url: str | None = None, stdin: str | None = None) -> tuple[int, str, str]:
    import os
    import subprocess
    import sys

    flags = ["--data-dir", str(data)] + (["--database-url", url] if url else [])
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THREADKEEP_")}
    r = subprocess.run([sys.executable, "-m", "threadkeep", *args, *flags], input=stdin, capture_output=True,
                       text=True, timeout=120, env=clean)
    return r.returncode, r.stdout, r.stderr


def get(base: str, path: str, token: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_serve_refuses_no_auth_on_a_reachable_address(tmp_path: Path) -> None:
    r = run("serve", "--host", "0.0.0.0", "--port", str(free_port()), "--data-dir", str(tmp_path))
    assert r.returncode == 2
    line = r.stderr.strip()
    assert "\n" not in line and "--auth users" in line and "Traceback" not in r.stderr


def test_password_mode_without_a_password_says_how(tmp_path: Path) -> None:
    r = run("serve", "--auth", "password", "--port", str(free_port()), "--data-dir", str(tmp_path))
    assert r.returncode == 2 and "THREADKEEP_PASSWORD" in r.stderr and "Traceback" not in r.stderr


def test_users_commands(tmp_path: Path, live_database_url: str | None) -> None:
    data, url = tmp_path / "d", live_database_url
    code, out, err = cli(data, "user", "add", "Alice", "--admin", "--password-stdin", url=url,
                         stdin="first-secret\n")
    assert code == 0 and "added admin alice" in out, err
    code, out, err = cli(data, "user", "add", "bob", "--password-stdin", url=url, stdin="short\n")
    assert code == 2 and "at least 8" in err
    assert cli(data, "user", "add", "bob", "--password-stdin", url=url, stdin="bob-secret-1\n")[0] == 0
    code, out, err = cli(data, "user", "add", "bob", "--password-stdin", url=url, stdin="bob-secret-1\n")
    assert code == 1 and "already exists" in err
    code, out, _ = cli(data, "user", "list", "--json", url=url)
    listed = {u["username"]: u for u in json.loads(out)}
    assert set(listed) == {"alice", "bob"} and listed["alice"]["role"] == "admin" and listed["alice"]["id"] == "local"
    assert cli(data, "user", "role", "bob", "admin", url=url)[0] == 0
    assert cli(data, "user", "disable", "bob", url=url)[0] == 0
    code, out, _ = cli(data, "user", "list", url=url)
    assert "disabled" in out
    code, _, err = cli(data, "user", "remove", "nobody", "--yes", url=url)
    assert code == 1 and "no user named 'nobody'" in err and "database:" in err
    assert cli(data, "user", "remove", "bob", "--yes", url=url)[0] == 0
    code, _, err = cli(data, "user", "remove", "alice", "--yes", url=url)
    assert code == 1 and "last admin" in err


def test_tokens_from_the_cli_work_against_the_server_and_revoke(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert cli(data, "user", "add", "alice", "--admin", "--password-stdin", stdin="first-secret\n")[0] == 0
    code, token, err = cli(data, "token", "create", "backup", "--user", "alice", "--scope", "read")
    token = token.strip()
    assert code == 0 and token.startswith("tk_"), err
    code, listed, _ = cli(data, "token", "list", "--user", "alice")
    token_id = listed.split()[0]
    assert "backup" in listed and token not in listed
    server = LiveServer(data, env={"THREADKEEP_AUTH": "users"})
    server.start()
    try:
        assert get(server.base, "/api/sessions")[0] == 401
        assert get(server.base, "/api/sessions", token)[0] == 200
        assert cli(data, "token", "revoke", token_id, "--user", "alice")[0] == 0
        status, body = get(server.base, "/api/sessions", token)
        assert status == 401 and "error" in body  # type: ignore[operator]
    finally:
        server.stop()


def test_first_admin_takes_over_what_single_user_mode_made(tmp_path: Path) -> None:
    data = tmp_path / "d"
    single = LiveServer(data)
    single.start()
    try:
        from tests.http_client import Client

        client = Client(single.base)
        status, made = client.post("/api/session/import", {"title": "from before accounts",
                                                           "messages": [{"role": "user", "content": "hi"}]})
        assert status == 200
        client.close()
    finally:
        single.stop()
    assert cli(data, "user", "add", "root", "--admin", "--password-stdin", stdin="root-secret-1\n")[0] == 0
    code, out, _ = cli(data, "export", made["session"]["session_id"], "--user", "root")  # type: ignore[index]
    assert code == 0 and "from before accounts" in out
    assert cli(data, "user", "add", "bob", "--password-stdin", stdin="bob-secret-1\n")[0] == 0
    code, _, err = cli(data, "export", made["session"]["session_id"], "--user", "bob")  # type: ignore[index]
    assert code == 1 and "Session not found" in err
