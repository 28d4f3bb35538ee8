"""threadkeep: a self-hosted web UI and HTTP API for LLM agents in persistent chat sessions."""

__version__ = "0.1.0"
