"""HTTP routes, one module per area of the API; each exposes `router`."""
