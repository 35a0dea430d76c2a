"""Traffic assignment: user equilibrium on a link table, TNTP networks, and a network
package's demand as an assignment.

- :mod:`.engine` — ``assign(links, demand, spec)``: all-or-nothing, Frank–Wolfe,
  conjugate and bi-conjugate FW, gradient projection and Algorithm B (bushes); one
  relative-gap function for all; multi-class;
- :mod:`._kernels`, :mod:`._bush` — their numba kernels;
- :mod:`.tntp` — reading the TNTP benchmark format (parallel links kept);
- :mod:`.corridor` — a package's compiled network and demand as an assignment problem
  (capacities, border-post and ferry queues, OD-dependent rules as classes).
"""

from __future__ import annotations

from .engine import (
    ALGORITHMS,
    AssignmentClass,
    AssignmentResult,
    AssignmentSpec,
    LinkTable,
    assign,
    link_skims,
    relative_gap_of,
)

__all__ = [
    "ALGORITHMS",
    "AssignmentClass",
    "AssignmentResult",
    "AssignmentSpec",
    "LinkTable",
    "assign",
    "link_skims",
    "relative_gap_of",
]
