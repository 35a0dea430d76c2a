"""``python -m overland``."""

from .cli import run

run()
