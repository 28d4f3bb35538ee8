"""Chat turns: running a turn, its stream and SSE encoding, approvals, tools, tokens and prices."""
