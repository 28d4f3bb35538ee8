"""The OpenAPI document tells a generated client the truth: 400 not 422, every error reply's JSON shape, the
rules the server enforces (ids, non-empty text, absolute workspaces), and 405s that list every method."""

from __future__ import annotations

from typing import Any

import httpx


async def test_errors_are_documented_as_the_server_answers_them(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert "422" not in op["responses"], (method, path)
            assert "400" in op["responses"], (method, path)
            if path not in ("/health", "/api/auth/login", "/api/auth/status", "/api/auth/oidc/login",
                            "/api/auth/oidc/callback"):
                assert "401" in op["responses"], (method, path)


async def test_enforced_rules_are_in_the_schema(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    schemas: dict[str, Any] = doc["components"]["schemas"]
    assert schemas["SessionRef"]["properties"]["session_id"]["pattern"] == "^[A-Za-z0-9_-]{1,64}$"
    params = {p["name"]: p for p in doc["paths"]["/api/session"]["get"]["parameters"]}
    assert params["session_id"]["required"] is True
    assert schemas["Rename"]["properties"]["title"]["minLength"] == 1
    assert schemas["Append"]["properties"]["messages"]["items"]["properties"]["role"]["enum"]
    body = doc["paths"]["/api/upload"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["session_id", "file"]


async def test_405_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    reply = await client.put("/api/chat/cancel", json={})
    assert reply.status_code == 405 and reply.json() == {"error": "Method not allowed"}
    allowed = {m.strip() for m in reply.headers["allow"].split(",")}
    assert "POST" in allowed


async def test_bad_ids_and_empty_text_are_400_in_plain_words(client: httpx.AsyncClient) -> None:
    bad = await client.post("/api/session/rename", json={"session_id": "../x", "title": "t"})
    assert bad.status_code == 400 and bad.json()["error"] == "session_id is not a valid session id"
    missing = await client.get("/api/session")
    assert missing.status_code == 400 and missing.json()["error"] == "session_id is required"
    made = (await client.post("/api/session/new", json={})).json()["session"]["session_id"]
    empty = await client.post("/api/session/rename", json={"session_id": made, "title": ""})
    assert empty.status_code == 400 and empty.json()["error"] == "title must not be empty"
    blank = await client.post("/api/projects/create", json={"name": "   "})
    assert blank.status_code == 400 and blank.json()["error"] == "name must not be empty"
    unknown_home = await client.post("/api/session/new", json={"workspace": "~no-such-user-here/x"})
    assert unknown_home.status_code == 400 and "does not exist" in unknown_home.json()["error"]
