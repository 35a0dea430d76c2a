"""Commands about routes: route, compare and skim."""

from __future__ import annotations
