"""The HTTP face: the app factory, routes, security middleware, JSON replies and the static page."""
