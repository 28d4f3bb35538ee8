"""Login throttling: failed logins counted per account and per client address, with exponential backoff.

Owns the `login_failures` table, so every instance sees the same counts. A key that failed more than its
allowance is locked for a backoff that doubles with each further failure (capped); a success clears the
account's key. The address allowance is much larger than the account's: an attack on one account must not
lock out the other people behind the same address.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from ..db.database import Database
from ..db.schema import login_failures


@dataclass(frozen=True, slots=True)
class Rule:
    allowance: int  # failures within `window` before backoff starts
    window: float  # seconds after the first failure that the count is kept
    base: float  # the first lock, in seconds; it doubles with each further failure
    cap: float  # the longest lock


ACCOUNT = Rule(allowance=5, window=15 * 60, base=2.0, cap=15 * 60)
ADDRESS = Rule(allowance=100, window=15 * 60, base=2.0, cap=15 * 60)


@dataclass(frozen=True, slots=True)
class Locked:
    key: str
    retry_after: int  # whole seconds

    @property
    def is_account(self) -> bool:
        return self.key.startswith("user:")


class LoginThrottle:
    def __init__(self, db: Database, *, account: Rule = ACCOUNT, address: Rule = ADDRESS) -> None:
        self.db = db
        self.rules = {"user": account, "ip": address}

    async def check(self, keys: list[str]) -> Locked | None:
        """The longest lock now in force on any of `keys`, if any."""
        now = time.time()
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(login_failures.c.key, login_failures.c.locked_until).where(login_failures.c.key.in_(keys)))
            worst = max(((r.locked_until or 0.0, r.key) for r in rows), default=(0.0, ""))
        if worst[0] > now:
            return Locked(worst[1], max(1, math.ceil(worst[0] - now)))
        return None

    async def failed(self, keys: list[str]) -> Locked | None:
        """Count a failure on each key; the lock it caused, if any."""
        now = time.time()
        locked: Locked | None = None
        async with self.db.write() as conn:
            for key in keys:
                rule = self.rules[key.split(":", 1)[0]]
                row = (await conn.execute(select(login_failures).where(login_failures.c.key == key))).first()
                if row is None or (now - row.first_at > rule.window and (row.locked_until or 0) < now):
                    failures, first_at = 1, now
                    if row is not None:
                        await conn.execute(delete(login_failures).where(login_failures.c.key == key))
                    await conn.execute(insert(login_failures), [{"key": key, "failures": 1, "first_at": now,
                                                                  "locked_until": None}])
                else:
                    failures, first_at = row.failures + 1, row.first_at
                until = None
                if failures > rule.allowance:
                    until = now + min(rule.cap, rule.base * 2 ** (failures - rule.allowance - 1))
                    if locked is None or until - now > locked.retry_after:
                        locked = Locked(key, max(1, math.ceil(until - now)))
                await conn.execute(update(login_failures).where(login_failures.c.key == key).values(
                    failures=failures, first_at=first_at, locked_until=until))
        return locked

    async def succeeded(self, account_key: str) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(login_failures).where(login_failures.c.key == account_key))

    async def clear(self, key: str) -> None:
        await self.succeeded(key)
