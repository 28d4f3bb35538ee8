"""Password hashing: argon2id with OWASP's parameters, and checks that take the same time whether or not the
account exists.

Owns the hasher and its parameters only; who may log in, throttling and audit are `accounts`' business.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_LENGTH = 8
MAX_LENGTH = 1024


class WeakPassword(ValueError):
    """A new password that does not meet the rules; the message says which."""


def check_new(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Password must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Password must be at most {MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("threadkeep: no such account")


def verify(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; an account without a hash costs as much as a wrong password."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_async(stored: str | None, password: str) -> bool:
    """`verify` in a worker thread: an argon2 check takes tens of milliseconds of CPU."""
    return await asyncio.to_thread(verify, stored, password)


async def hash_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


def needs_rehash(stored: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True
