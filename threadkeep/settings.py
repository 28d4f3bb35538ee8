"""Settings: what an instance is told at start-up (CLI flags > THREADKEEP_* env vars > defaults).

Owns the names, types and defaults of every setting, and derived values (database URL, workspace dir,
allowed workspace roots). Nothing reads settings from a global: `create_app(settings)` passes them on.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("threadkeep", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="THREADKEEP_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    workspace: Path | None = None
    # Workspaces must lie under one of these (default: the home directory, the data dir, the default workspace).
    workspace_roots: list[Path] = Field(default_factory=list)
    # Extra Host header values accepted besides the bound host and localhost (e.g. a reverse proxy's name).
    allowed_hosts: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    sqlite_synchronous: str = "NORMAL"
    log_level: str = "info"
    access_log: bool = True
    # Model providers (issue 5; which providers and keys: threadkeep.toml + env, see provider_config.py).
    provider_timeout: float = Field(default=120.0, gt=0)  # seconds without a byte before a call gives up
    provider_max_retries: int = Field(default=2, ge=0, le=10)  # retries with backoff on 408/409/429/5xx
    models_fetch_timeout: float = Field(default=3.0, gt=0)  # GET /models of a provider with no listed models
    demo_token_delay: float = Field(default=0.03, ge=0)  # the demo model's pace, seconds per word
    # Streams, SSE, workspace files and tools (issue 5).
    stream_ttl_seconds: float = Field(default=300.0, ge=0)
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    upload_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    file_read_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    tool_timeout_seconds: float = Field(default=60.0, gt=0)
    tool_output_max_chars: int = Field(default=30_000, ge=1000)
    # run_command: under bubblewrap when it works (`auto`), only so (`bwrap`: else refused) or never (`off`);
    # per-process limits in every mode, 0 = none. RLIMIT_NPROC counts all of the server user's processes
    # and is not applied to root, hence off by default (see chat/sandbox.py).
    sandbox: Literal["auto", "bwrap", "off"] = "auto"
    tool_cpu_seconds: int = Field(default=120, ge=0)  # CPU time per process (SIGXCPU, then SIGKILL)
    tool_memory_mb: int = Field(default=4096, ge=0)  # address space per process (RLIMIT_AS)
    tool_file_size_mb: int = Field(default=1024, ge=0)  # largest file a command may write
    tool_max_processes: int = Field(default=0, ge=0)  # RLIMIT_NPROC for the server's user; 0 = not set
    # Turns (issue 5): how many model calls with tool results one turn may make; how often a streaming
    # reply is written to the store.
    max_tool_steps: int = Field(default=8, ge=0, le=100)
    checkpoint_seconds: float = Field(default=1.0, gt=0)
    # Accounts (issue 10). `none`: one user, loopback only; `password`: one user behind a password (hermes);
    # `users`: accounts with roles, optionally single sign-on (OIDC) or a trusted proxy's user header.
    auth: Literal["none", "password", "users"] = "none"
    password: SecretStr | None = None  # `password` mode's password (else: `threadkeep user passwd local`)
    login_idle_seconds: float = Field(default=7 * 86400, gt=0)  # a browser login ends after this long unused
    login_max_seconds: float = Field(default=30 * 86400, gt=0)  # ... and this long after it began, whatever
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto (and user headers) are believed: IPs or CIDRs.
    trusted_proxies: list[str] = Field(default_factory=list)
    proxy_auth: bool = False  # take the user from `proxy_user_header` on requests from a trusted proxy
    proxy_user_header: str = "Remote-User"
    proxy_email_header: str = "X-Forwarded-Email"
    proxy_groups_header: str = "Remote-Groups"
    proxy_admin_groups: list[str] = Field(default_factory=list)
    oidc_discovery_url: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"
    oidc_allowed_domains: list[str] = Field(default_factory=list)
    oidc_allowed_groups: list[str] = Field(default_factory=list)
    oidc_admin_groups: list[str] = Field(default_factory=list)
    oidc_groups_claim: str = "groups"
    oidc_label: str = "Single sign-on"
    # The address users reach threadkeep at (https://chat.example.com), for OIDC redirects behind a proxy.
    public_url: str | None = None

    @field_validator("data_dir", "workspace", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    @field_validator("sqlite_synchronous")
    @classmethod
    def _synchronous(cls, value: str) -> str:
        value = value.upper()
        if value not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError("sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'threadkeep.db'}"

    @property
    def default_workspace(self) -> Path:
        return self.workspace if self.workspace is not None else self.data_dir / "workspace"

    @property
    def multi_user(self) -> bool:
        return self.auth == "users"

    @property
    def oidc_enabled(self) -> bool:
        return self.auth == "users" and bool(self.oidc_discovery_url and self.oidc_client_id)

    def user_workspace(self, user_id: str) -> Path:
        """Where a user's sessions start: the default workspace with one user, their own folder with accounts."""
        return self.data_dir / "users" / user_id / "workspace" if self.multi_user else self.default_workspace

    def workspace_roots_for(self, user_id: str) -> list[Path]:
        """The roots a user's workspaces must lie under: with accounts, only their own folder."""
        return [self.user_workspace(user_id).resolve()] if self.multi_user else self.resolved_workspace_roots

    @property
    def resolved_workspace_roots(self) -> list[Path]:
        if self.workspace_roots:
            return [p.expanduser().resolve() for p in self.workspace_roots]
        return [Path.home().resolve(), self.data_dir, self.default_workspace.resolve()]
