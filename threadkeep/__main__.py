"""`python -m threadkeep` runs the command line."""

from .cli import main

main()
