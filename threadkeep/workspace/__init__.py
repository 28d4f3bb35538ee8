"""Workspaces: the allowed roots and the files inside a session's workspace."""
