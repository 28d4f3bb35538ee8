"""The routes hermes' page reads at load: settings (stored per user), reasoning, onboarding, profiles,
crons and clarify questions, answered as hermes answers them, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.accounts import add_user, logged_in
from threadkeep.db.schema import LOCAL_USER_ID


async def test_settings_are_hermes_defaults_at_first(client: httpx.AsyncClient, app: Any) -> None:
    got = (await client.get("/api/settings")).json()
    assert got["send_key"] == "enter" and got["theme"] == "dark" and got["skin"] == "default"
    assert got["busy_input_mode"] == "queue" and got["show_thinking"] is True and got["bot_name"] == "Hermes"
    assert got["onboarding_completed"] is True
    assert got["default_workspace"] == str(app.state.settings.user_workspace(LOCAL_USER_ID))
    assert isinstance(got["default_model"], str) and got["webui_version"]
    assert "password_hash" not in got


async def test_a_settings_change_keeps_what_is_valid_and_persists(client: httpx.AsyncClient, tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    saved = await client.post("/api/settings", json={
        "send_key": "ctrl+enter", "busy_input_mode": "bogus", "language": "fr", "sound_enabled": 1,
        "theme": "solarized", "unknown_key": "x", "bot_name": "  ", "default_workspace": str(tmp_path / "ws"),
        "default_model": "not-persisted", "_set_password": "ignored-here"})
    assert saved.status_code == 200
    body = saved.json()
    assert body["send_key"] == "ctrl+enter" and body["busy_input_mode"] == "queue" and body["language"] == "fr"
    assert body["sound_enabled"] is True and (body["theme"], body["skin"]) == ("dark", "poseidon")
    assert body["bot_name"] == "Hermes" and "unknown_key" not in body
    assert body["default_workspace"] == str(tmp_path / "ws")
    assert body["auth_enabled"] is False and body["auth_just_enabled"] is False
    again = (await client.get("/api/settings")).json()
    assert {k: again[k] for k in ("send_key", "language", "theme", "skin")} == {
        "send_key": "ctrl+enter", "language": "fr", "theme": "dark", "skin": "poseidon"}
    assert again["default_model"] != "not-persisted"
    # A new session with no last workspace starts in the default workspace chosen here.
    assert (await client.post("/api/session/new", json={})).json()["session"]["workspace"] == str(tmp_path / "ws")
    refused = await client.post("/api/settings", json={"default_workspace": "/etc"})
    assert refused.json()["default_workspace"] == str(tmp_path / "ws")  # ignored, as hermes ignores it
    assert (await client.post("/api/settings", json=[1])).status_code == 400
    assert (await client.post("/api/settings", content=b"{not json")).status_code == 400
    assert (await client.post("/api/settings")).json()["send_key"] == "ctrl+enter"  # no body: no change


async def test_settings_belong_to_each_user(users_app: Any) -> None:
    await add_user(users_app, "alice")
    await add_user(users_app, "bob")
    alice, bob = await logged_in(users_app, "alice"), await logged_in(users_app, "bob")
    assert (await alice.post("/api/settings", json={"theme": "light"})).json()["logged_in"] is True
    assert (await alice.get("/api/settings")).json()["theme"] == "light"
    assert (await bob.get("/api/settings")).json()["theme"] == "dark"
    await alice.post("/api/reasoning", json={"effort": "high"})
    assert (await bob.get("/api/reasoning")).json()["reasoning_effort"] == ""


async def test_reasoning(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/reasoning")).json() == {"show_reasoning": True, "reasoning_effort": ""}
    assert (await client.post("/api/reasoning", json={"effort": "high"})).json()["reasoning_effort"] == "high"
    assert (await client.post("/api/reasoning", json={"display": "hide"})).json() == {
        "show_reasoning": False, "reasoning_effort": "high"}
    assert (await client.post("/api/reasoning", json={"effort": "ultra"})).status_code == 400
    assert (await client.post("/api/reasoning", json={})).status_code == 400
    assert (await client.post("/api/reasoning", json={"effort": None})).status_code == 400
    await client.post("/api/settings", json={"theme": "light"})  # a settings change keeps the reasoning
    assert (await client.get("/api/reasoning")).json()["reasoning_effort"] == "high"


async def test_onboarding_profiles_crons_and_clarify(client: httpx.AsyncClient, app: Any) -> None:
    status = (await client.get("/api/onboarding/status")).json()
    assert status["completed"] is True and status["workspaces"]["items"][0]["name"] == "Home"
    assert (await client.post("/api/onboarding/complete")).json()["completed"] is True
    home = str(app.state.settings.user_workspace(LOCAL_USER_ID))
    assert (await client.get("/api/profile/active")).json() == {"name": "default", "path": home}
    profiles = (await client.get("/api/profiles")).json()
    assert profiles["active"] == "default" and [p["name"] for p in profiles["profiles"]] == ["default"]
    assert (await client.get("/api/crons/recent", params={"since": 5})).json() == {"completions": [], "since": 5}
    sid = (await client.post("/api/session/new", json={})).json()["session"]["session_id"]
    assert (await client.get("/api/clarify/pending", params={"session_id": sid})).json() == {"pending": None}
    assert (await client.get("/api/clarify/pending", params={"session_id": "nope"})).status_code == 404
