"""Text arguments as the adapters (CLI, HTTP API) receive them: comma-separated lists of
names, modes and scenarios. One implementation, so ``--modes rail,ferry`` and
``?modes=rail,ferry`` mean the same and fail the same way."""

from __future__ import annotations

from .errors import BadArgumentError

__all__ = ["parse_list", "parse_modes", "parse_scenarios"]


def parse_list(text: str | None) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``; ``None`` or blank -> ``[]``.

    Examples
    --------
    >>> parse_list(" RU, IR ,")
    ['RU', 'IR']
    """
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def parse_modes(text: str | None, *, blank_ok: bool = True) -> list[str] | None:
    """Comma-separated modes, each checked; ``None`` when none are given (all modes).
    With ``blank_ok=False`` a given but empty list (``--modes ""``) is refused."""
    from .schema import MODES  # here: the schema imports pydantic, which --help need not

    modes = parse_list(text)
    if text is not None and not modes and not blank_ok:
        raise BadArgumentError(f"no mode given in {text!r}; give one or more of {', '.join(MODES)}")
    for m in modes:
        if m not in MODES:
            raise BadArgumentError(f"unknown mode {m!r}; valid: {', '.join(MODES)}")
    return modes or None


def parse_scenarios(text: str | None) -> list[str | None]:
    """Comma-separated scenario names; ``none`` stands for no scenario (what happened).

    Examples
    --------
    >>> parse_scenarios("none,tripp")
    [None, 'tripp']
    """
    return [None if s.lower() == "none" else s for s in parse_list(text)]
