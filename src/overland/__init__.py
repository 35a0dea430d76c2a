"""Overland: freight-corridor modelling for the South Caucasus and the Middle Corridor.

The public surface: load a network package (:func:`load_network`,
:func:`embedded_network`), validate one (:func:`validate_package`), and ask for its
state on a date under a scenario (:meth:`Network.as_of`).

Importing the package is cheap: the names that need pydantic, YAML or numpy are
imported on first use (PEP 562), so ``overland --version`` does not pay for them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

from .errors import (
    BadArgumentError,
    NetworkDataError,
    OverlandError,
    Problem,
    ScenarioError,
    UnknownPlaceError,
)

if TYPE_CHECKING:
    from .network import Network, embedded_network, load_network, network_from_package
    from .timeline import NetworkState, StateDiff, diff_states
    from .validation import ValidationReport, validate_package

__all__ = [
    "BadArgumentError",
    "Network",
    "NetworkDataError",
    "NetworkState",
    "OverlandError",
    "Problem",
    "ScenarioError",
    "StateDiff",
    "UnknownPlaceError",
    "ValidationReport",
    "__version__",
    "diff_states",
    "embedded_network",
    "load_network",
    "network_from_package",
    "validate_package",
]

#: public name -> the submodule that defines it, imported on first access
_LAZY = {
    "Network": "network",
    "embedded_network": "network",
    "load_network": "network",
    "network_from_package": "network",
    "NetworkState": "timeline",
    "StateDiff": "timeline",
    "diff_states": "timeline",
    "ValidationReport": "validation",
    "validate_package": "validation",
}


if not TYPE_CHECKING:  # hidden from mypy, which then still checks every name used

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(f".{module}", __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
