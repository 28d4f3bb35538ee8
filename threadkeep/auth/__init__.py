"""Accounts and logins: who a request is, how they proved it, and what they may do.

Each module owns one part (OpenID Connect login in `oidc`, ...); the routes that use them live in web/.
"""
