"""Workspace routes in hermes-webui's shapes: the user's saved workspaces (list, add, remove, rename),
path suggestions under their trusted roots, and a session workspace's git state.

Handlers parse and call one `WorkspaceBook` verb (the rules live there); `Book` hands out the book of the
acting user, which the session routes also use to pick and remember workspaces.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from ...auth.principal import Principal
from ...settings import Settings
from ...workspace.saved import SavedWorkspace, WorkspaceBook
from ..responses import JsonReply, reply
from .deps import Body, QuerySessionId, Store, check_session_id, get_principal

router = APIRouter(tags=["workspaces"])

# An absolute path (or ~), as sessions' workspaces are written; whether it exists is checked on use.
PathText = Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^(/|~|[A-Za-z]:[\\/])")]
Name = Annotated[str, Field(max_length=200)]
GIT_TIMEOUT = 3.0


async def get_book(principal: Annotated[Principal, Depends(get_principal)], request: Request) -> WorkspaceBook:
    settings: Settings = request.app.state.settings
    return WorkspaceBook(request.app.state.db, settings, principal.user_id)


Book = Annotated[WorkspaceBook, Depends(get_book)]


class AddWorkspace(Body):
    path: PathText
    name: Name = ""
    create: bool = False  # make the directory first (hermes' "create if missing")


class WorkspaceRef(Body):
    path: PathText


class RenameWorkspace(Body):
    path: PathText
    name: Annotated[str, Field(min_length=1, max_length=200)]  # all blanks: the folder's own name


def _listed(workspaces: list[SavedWorkspace]) -> JsonReply:
    return reply({"ok": True, "workspaces": [w.to_dict() for w in workspaces]})


@router.get("/api/workspaces")
async def list_workspaces(book: Book) -> JsonReply:
    """The saved workspaces (the user's own as `Home` when none is saved) and the last one used."""
    return reply({"workspaces": [w.to_dict() for w in await book.entries()], "last": await book.last()})


@router.post("/api/workspaces/add")
async def add_workspace(body: AddWorkspace, book: Book) -> JsonReply:
    """Save a directory: it must exist (or `create`), be a directory and not a system one; with accounts it
    must lie under the user's own folder. 400 `Workspace already in list` for a second time."""
    return _listed(await book.add(body.path.strip(), body.name, create=body.create))


@router.post("/api/workspaces/remove")
async def remove_workspace(body: WorkspaceRef, book: Book) -> JsonReply:
    return _listed(await book.remove(body.path.strip()))


@router.post("/api/workspaces/rename")
async def rename_workspace(body: RenameWorkspace, book: Book) -> JsonReply:
    return _listed(await book.rename(body.path.strip(), body.name))


@router.get("/api/workspaces/suggest")
async def suggest_workspaces(book: Book, prefix: Annotated[str, Query(max_length=2048)] = "",
                             hidden: bool = False) -> JsonReply:
    """Directories completing `prefix`, only under the user's roots and saved workspaces; hidden ones
    with `hidden=1` (or when the typed name starts with a dot)."""
    return reply({"suggestions": await book.suggest(prefix, hidden=hidden), "prefix": prefix})


def _git(args: list[str], cwd: Path, overrides: Sequence[str] = ()) -> str | None:
    # A workspace's .git/config is written by the user and the agent: git must run none of the commands it
    # may name (an fsmonitor hook, clean/process filters), else a sandboxed agent could run code outside it.
    command = ["git", "--no-optional-locks", "-c", "core.fsmonitor=false", *overrides, *args]
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _no_filters(workspace: Path) -> list[str]:
    """`-c` options that neutralise every filter driver the repository's configuration defines."""
    names = _git(["config", "--name-only", "--get-regexp", r"^filter\."], workspace) or ""
    out: list[str] = []
    for name in names.splitlines():
        value = "" if name.lower().endswith(".process") else "cat"
        out += ["-c", f"{name}={value}"]
    return out


def git_info(workspace: Path) -> dict[str, Any] | None:
    """hermes' summary of a workspace's git state, or None when it is not a repository (or git is missing)."""
    if not (workspace / ".git").exists():
        return None
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], workspace)
    if branch is None:
        return None
    status = _git(["status", "--porcelain", "--ignore-submodules=all"], workspace, _no_filters(workspace))
    lines = [line for line in (status or "").splitlines() if line]
    ahead = _git(["rev-list", "--count", "@{u}..HEAD"], workspace) or ""
    behind = _git(["rev-list", "--count", "HEAD..@{u}"], workspace) or ""
    return {
        "branch": branch,
        "dirty": len(lines),
        "modified": sum(1 for line in lines if len(line) >= 2 and (line[0] in "MAR" or line[1] in "MAR")),
        "untracked": sum(1 for line in lines if line.startswith("??")),
        "ahead": int(ahead) if ahead.isdigit() else 0,
        "behind": int(behind) if behind.isdigit() else 0,
        "is_git": True,
    }


@router.get("/api/git-info")
async def get_git_info(session_id: QuerySessionId, store: Store) -> JsonReply:
    """`{"git": null | {branch, dirty, modified, untracked, ahead, behind, is_git}}` for a session's workspace."""
    session = await store.get(check_session_id(session_id))
    return reply({"git": await asyncio.to_thread(git_info, Path(session.workspace))})
