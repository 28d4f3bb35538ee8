"""Who a request acts as: the user, the role, how they proved it and what the credential allows.

A small value type put on each request by the web layer's authentication; domain code only reads its
`user_id`. Scopes are ordered: `read` < `write` < `admin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "user"]
Scope = Literal["read", "write", "admin"]
Method = Literal["none", "cookie", "token", "proxy"]

SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
ROLES: tuple[Role, ...] = ("admin", "user")


def scope_allows(granted: Scope, needed: Scope) -> bool:
    return SCOPES.index(granted) >= SCOPES.index(needed)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    username: str
    role: Role
    method: Method
    scope: Scope = "admin"  # a browser session or `--auth none` may do all its user may do
    login_id: str | None = None  # the login session's id (cookie) or the token's id
    csrf_token: str | None = None  # what a cookie session must echo in X-CSRF-Token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def user_dict(self) -> dict[str, str]:
        return {"id": self.user_id, "username": self.username, "role": self.role}
