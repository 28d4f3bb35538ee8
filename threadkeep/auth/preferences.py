"""A user's preferences: the keys of hermes-webui's /api/settings, its reasoning display and effort, and
the workspace they used last.

Owns the `user_settings` table (one row per user, made on first write) and hermes' rules for a settings
update: unknown keys and invalid values are dropped silently, booleans coerced, legacy themes mapped onto a
theme + skin. Computed keys (`default_model`, `webui_version`) and whether a `default_workspace` is
acceptable are the caller's concern.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import select, update

from ..db.database import Conn, Database
from ..db.schema import user_settings
from ..errors import BadRequest

DEFAULTS: dict[str, Any] = {
    "onboarding_completed": True,  # threadkeep has no first-run wizard: the page never shows hermes' one
    "send_key": "enter",
    "show_token_usage": False,
    "show_cli_sessions": False,
    "sync_to_insights": False,
    "check_for_updates": False,  # nothing to check: threadkeep is not a git checkout of hermes
    "theme": "dark",
    "skin": "default",
    "language": "en",
    "bot_name": "Hermes",
    "sound_enabled": False,
    "notifications_enabled": False,
    "show_thinking": True,
    "sidebar_density": "compact",
    "auto_title_refresh_every": "0",
    "busy_input_mode": "queue",
}
ENUMS: dict[str, frozenset[str]] = {
    "send_key": frozenset({"enter", "ctrl+enter"}),
    "sidebar_density": frozenset({"compact", "detailed"}),
    "auto_title_refresh_every": frozenset({"0", "5", "10", "20"}),
    "busy_input_mode": frozenset({"queue", "interrupt", "steer"}),
}
BOOLEANS = frozenset(k for k, v in DEFAULTS.items() if isinstance(v, bool))
THEMES = frozenset({"light", "dark", "system"})
SKINS = frozenset({"default", "ares", "mono", "slate", "poseidon", "sisyphus", "charizard"})
LEGACY_THEMES = {"slate": ("dark", "slate"), "solarized": ("dark", "poseidon"), "monokai": ("dark", "sisyphus"),
                 "nord": ("dark", "slate"), "oled": ("dark", "default")}
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
LANGUAGE = re.compile(r"^[a-zA-Z]{2,10}(-[a-zA-Z0-9]{2,8})?$")
MAX_TEXT = 200  # bot_name and other free text


def appearance(theme: object, skin: object) -> tuple[str, str]:
    """A valid (theme, skin): legacy theme names map onto the closest pair, unknown ones to dark/default."""
    raw_theme = theme.strip().lower() if isinstance(theme, str) else ""
    raw_skin = skin.strip().lower() if isinstance(skin, str) else ""
    if raw_theme in LEGACY_THEMES:
        next_theme, fallback_skin = LEGACY_THEMES[raw_theme]
    elif raw_theme in THEMES:
        next_theme, fallback_skin = raw_theme, "default"
    else:
        next_theme, fallback_skin = "dark", "default"
    return next_theme, raw_skin if raw_skin in SKINS else fallback_skin


def merge(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`current` with the acceptable part of `changes` applied (hermes' save_settings rules)."""
    out = dict(current)
    theme, skin = out.get("theme"), out.get("skin")
    theme_given = skin_given = False
    for key, value in changes.items():
        if key == "theme":
            if isinstance(value, str) and value.strip():
                theme, theme_given = value, True
        elif key == "skin":
            if isinstance(value, str) and value.strip():
                skin, skin_given = value, True
        elif key == "bot_name":
            out[key] = (value.strip() if isinstance(value, str) else "")[:MAX_TEXT] or "Hermes"
        elif key == "language":
            if isinstance(value, str) and LANGUAGE.match(value):
                out[key] = value
        elif key in BOOLEANS:
            out[key] = bool(value)
        elif key in ENUMS:
            if isinstance(value, str) and value in ENUMS[key]:
                out[key] = value
        elif key == "default_workspace" and isinstance(value, str) and value:
            out[key] = value
    if theme_given and not skin_given and not (isinstance(theme, str) and theme.strip().lower() in THEMES):
        skin = None  # a legacy theme brings its own skin
    out["theme"], out["skin"] = appearance(theme, skin)
    return out


def _reasoning(stored: object) -> dict[str, Any]:
    values = stored if isinstance(stored, dict) else {}
    show, effort = values.get("show_reasoning"), values.get("reasoning_effort")
    return {"show_reasoning": show if isinstance(show, bool) else True,
            "reasoning_effort": effort if isinstance(effort, str) and effort in EFFORTS else ""}


class Preferences:
    """One user's preferences."""

    def __init__(self, db: Database, user_id: str) -> None:
        self.db = db
        self.user_id = user_id

    async def _row(self, conn: Conn, *, lock: bool = False) -> Any:
        query = select(user_settings).where(user_settings.c.user_id == self.user_id)
        return (await conn.execute(query.with_for_update() if lock else query)).first()

    @staticmethod
    def _stored(row: Any) -> dict[str, Any]:
        try:
            stored = orjson.loads(row.settings) if row is not None else {}
        except orjson.JSONDecodeError:
            stored = {}
        return stored if isinstance(stored, dict) else {}

    async def load(self) -> dict[str, Any]:
        """The stored settings over the defaults."""
        async with self.db.read() as conn:
            row = await self._row(conn)
        return merge(DEFAULTS, self._stored(row))

    async def update(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Apply what is acceptable in `changes` (the rest is ignored, as hermes does); the merged settings."""
        async with self.db.write() as conn:
            row = await self._ensure(conn)
            before = self._stored(row)
            stored = merge(before, changes)
            if "reasoning" in before:  # kept beside the settings, changed only through set_reasoning
                stored["reasoning"] = before["reasoning"]
            await conn.execute(update(user_settings).where(user_settings.c.user_id == self.user_id)
                               .values(settings=orjson.dumps(stored).decode(), updated_at=time.time()))
        return merge(DEFAULTS, stored)

    async def reasoning(self) -> dict[str, Any]:
        """hermes' /api/reasoning: whether thinking is shown and the effort asked of models ('' = default)."""
        async with self.db.read() as conn:
            stored = self._stored(await self._row(conn)).get("reasoning")
        return _reasoning(stored)

    async def set_reasoning(self, *, show: bool | None = None, effort: str | None = None) -> dict[str, Any]:
        if effort is not None and effort not in EFFORTS:
            raise BadRequest(f"Unknown reasoning effort '{effort}'. Valid: {', '.join(EFFORTS)}.")
        async with self.db.write() as conn:
            stored = self._stored(await self._ensure(conn))
            current = _reasoning(stored.get("reasoning"))
            if show is not None:
                current["show_reasoning"] = show
            if effort is not None:
                current["reasoning_effort"] = effort
            stored["reasoning"] = current
            await conn.execute(update(user_settings).where(user_settings.c.user_id == self.user_id)
                               .values(settings=orjson.dumps(stored).decode(), updated_at=time.time()))
        return current

    async def last_workspace(self) -> str | None:
        async with self.db.read() as conn:
            row = await self._row(conn)
        return row.last_workspace if row is not None else None

    async def set_last_workspace(self, path: str) -> None:
        async with self.db.write() as conn:
            row = await self._ensure(conn)
            if row.last_workspace != path:
                await conn.execute(update(user_settings).where(user_settings.c.user_id == self.user_id)
                                   .values(last_workspace=path, updated_at=time.time()))

    async def _ensure(self, conn: Conn) -> Any:
        """This user's row, locked for the rest of the transaction (made when missing, race-free)."""
        if self.db.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
        await conn.execute(upsert(user_settings).values(user_id=self.user_id, settings="{}", updated_at=time.time())
                           .on_conflict_do_nothing())
        return await self._row(conn, lock=True)
