"""The report: a package's questions answered with routes, flows, utility layers and
resilience figures, as one self-contained HTML page.

- :mod:`.builder` — answers the questions of ``report.yaml`` (or a default set);
- :mod:`.html` — renders the page; :mod:`.resilience` — its resilience section;
- :mod:`.maps`, :mod:`.chart`, :mod:`.outlines` — SVG maps and charts, country outlines.
"""

from __future__ import annotations

from .builder import Report, build_report, default_report_spec
from .html import report_html

__all__ = ["Report", "build_report", "default_report_spec", "report_html"]
