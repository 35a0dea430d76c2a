"""Overland: freight-corridor modelling for the South Caucasus and the Middle Corridor.

The public surface: load a network package (:func:`load_network`,
:func:`embedded_network`), validate one (:func:`validate_package`), and ask for its
state on a date under a scenario (:meth:`Network.as_of`).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    BadArgumentError,
    NetworkDataError,
    OverlandError,
    Problem,
    ScenarioError,
    UnknownPlaceError,
)
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
