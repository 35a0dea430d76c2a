"""``overland warm`` (hidden): compile every numba kernel into numba's disk cache."""

from __future__ import annotations

import typer

from ._common import JsonOpt, app, emit_json


@app.command(hidden=True)
def warm(as_json: JsonOpt = False) -> int:
    """Compile every numba kernel once so that later commands load them from the disk
    cache (the setup script runs this); exit 1 if a kernel stayed uncompiled."""
    from ..warm import warm_kernels

    report = warm_kernels()
    if as_json:
        emit_json(
            {
                "seconds": round(report.seconds, 3),
                "kernels": report.signatures,
                "inlined": list(report.inlined),
                "missing": report.missing,
            }
        )
    else:
        typer.echo(
            f"{len(report.signatures)} numba kernels compiled or loaded from the cache "
            f"in {report.seconds:.1f} s"
            + (f"; not compiled: {', '.join(report.missing)}" if report.missing else "")
        )
    return 1 if report.missing else 0
