"""Commands about the network package itself: validate, timeline, summary, scenarios,
export and schema."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import BadArgumentError
from ._common import (
    DateOpt,
    JsonOpt,
    PackageOpt,
    ScenarioOpt,
    app,
    console,
    emit_json,
    load,
    load_limits,
    state_of,
)

if TYPE_CHECKING:
    from ..network import Network
    from ..timeline import NetworkState

# ---------------------------------------------------------------------------- validate


@app.command()
def validate(
    path: Annotated[Path | None, typer.Argument(help="Package folder (default: embedded).")] = None,
    as_json: JsonOpt = False,
) -> int:
    """Check a network package and report every problem with file, row and field."""
    from rich.table import Table

    from ..package import embedded_package_path
    from ..validation import validate_package

    target = path if path is not None else embedded_package_path()
    report = validate_package(target, limits=load_limits())
    if as_json:
        emit_json(report.as_dict())
        return 0 if report.ok else 1
    con = console()
    if report.problems:
        table = Table("where", "field", "severity", "problem", show_lines=False)
        for p in report.problems:
            table.add_row(
                p.file + (f":{p.row}" if p.row else ""), p.field or "", p.severity, p.message
            )
        con.print(table)
    verdict = "valid" if report.ok else "INVALID"
    con.print(
        f"{target}: {verdict} — {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    return 0 if report.ok else 1


# ---------------------------------------------------------------------------- timeline


def _event_dict(net: Network, ev: Any) -> dict[str, Any]:
    return {
        "id": ev.id,
        "date": ev.date.isoformat(),
        "date_precision": ev.date_precision,
        "status": ev.status,
        "title": ev.title,
        "changes": [{"target": c.target, "id": c.id, "set": c.set} for c in ev.changes],
        "sources": [
            {"id": s, "title": net.sources[s].title, "url": net.sources[s].url} for s in ev.source
        ],
    }


def _change_text(ev: Any) -> str:
    parts = []
    for c in ev.changes:
        sets = ", ".join(f"{k}={v}" for k, v in c.set.items())
        parts.append(f"{c.target} {c.id}: {sets}")
    return "; ".join(parts)


@app.command()
def timeline(
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """List the timeline's events, or (with --date) the network's state on a date."""
    from rich.table import Table

    from ..timeline import timeline_events

    net = load(package)
    if date is None:
        events = timeline_events(net, scenario)
        if as_json:
            emit_json({"scenario": scenario, "events": [_event_dict(net, e) for e in events]})
            return 0
        table = Table(
            title=(
                f"Timeline of {net.manifest.title}"
                + (f" — scenario {scenario}" if scenario else "")
            ),
        )
        table.add_column("date", no_wrap=True)
        table.add_column("status")
        table.add_column("event")
        table.add_column("what changed")
        table.add_column("source", overflow="fold")
        for ev in events:
            date_text = (
                ev.date.isoformat()
                if ev.date_precision == "day"
                else (
                    ev.date.strftime("%Y-%m") if ev.date_precision == "month" else str(ev.date.year)
                )
            )
            src = net.sources[ev.source[0]]
            table.add_row(date_text, ev.status, ev.title, _change_text(ev), src.url)
        console().print(table)
        return 0
    state = state_of(net, date, scenario)
    if as_json:
        emit_json(state.as_dict())
        return 0
    _printstate_of(net, state)
    return 0


def _printstate_of(net: Network, state: NetworkState) -> None:
    from rich.table import Table

    con = console()
    label = f"{state.date}" + (f", scenario {state.scenario}" if state.scenario else "")
    con.print(f"[bold]Network state on {label}[/bold]: {len(state.events_applied)} events applied")
    rules = Table(title="Rules")
    rules.add_column("rule in force", no_wrap=True)
    rules.add_column("since")
    rules.add_column("source", overflow="fold")
    for r in state.rules_in_force():
        since = state.last_change("rule", r.id)
        rules.add_row(
            r.title, since.date.isoformat() if since else "base", net.sources[r.source[0]].url
        )
    con.print(rules)
    closed = Table(title="Closed links")
    closed.add_column("closed link", no_wrap=True)
    closed.add_column("mode")
    closed.add_column("since", no_wrap=True)
    closed.add_column("why")
    for lid in state.closed_links():
        link = state.links[lid]
        ev = state.last_change("link", lid)
        a, b = net.places[link.from_place].name, net.places[link.to_place].name
        closed.add_row(
            f"{a} – {b}",
            link.mode,
            ev.date.isoformat() if ev else "base",
            ev.title if ev else link.note,
        )
    con.print(closed)
    counts = Counter(link.status for link in state.links.values())
    con.print(
        f"links: {counts['open']} open, {counts['closed']} closed, "
        f"{counts['planned']} planned (not built); "
        f"border crossings closed: {len(state.closed_crossings())}"
    )


# ---------------------------------------------------------------------------- summary


def _summary(net: Network, state: NetworkState) -> dict[str, Any]:
    km_by_mode: dict[str, float] = {}
    n_by_mode: Counter[str] = Counter()
    for link in state.links.values():
        if link.status == "open":
            km_by_mode[link.mode] = km_by_mode.get(link.mode, 0.0) + link.length_km
            n_by_mode[link.mode] += 1
    return {
        "package": net.manifest.name,
        "title": net.manifest.title,
        "date": state.date.isoformat(),
        "scenario": state.scenario,
        "places": len(net.places),
        "places_by_country": dict(sorted(Counter(p.country for p in net.places.values()).items())),
        "links": len(net.links),
        "open_links_by_mode": {
            m: {"links": n_by_mode[m], "km": round(km_by_mode[m])} for m in sorted(n_by_mode)
        },
        "border_crossings": len(net.crossings),
        "transfers": len(net.transfers),
        "events": dict(Counter(e.status for e in net.events)),
        "rules": len(net.rules),
        "scenarios": sorted(net.scenarios),
        "sources": len(net.sources),
        "estimated_rows": sum(
            1
            for table in (net.places, net.links, net.crossings, net.transfers)
            for row in table.values()
            if row.estimate
        ),
        "state": state.as_dict(),
    }


@app.command()
def summary(
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """Summarise the network package and its state on a date."""
    from rich.table import Table

    net = load(package)
    state = state_of(net, date, scenario)
    doc = _summary(net, state)
    if as_json:
        emit_json(doc)
        return 0
    con = console()
    con.print(
        f"[bold]{doc['title']}[/bold] ({doc['package']}): {doc['places']} places in "
        f"{len(doc['places_by_country'])} countries, {doc['links']} links, "
        f"{doc['border_crossings']} border-crossing records, {doc['transfers']} transfers, "
        f"{sum(doc['events'].values())} events, {doc['rules']} rules, "
        f"{len(doc['scenarios'])} scenarios, {doc['sources']} sources "
        f"({doc['estimated_rows']} rows marked as estimates)"
    )
    modes = Table("mode", "open links", "km", title=f"Open on {doc['date']}")
    for mode, v in doc["open_links_by_mode"].items():
        modes.add_row(mode, str(v["links"]), f"{v['km']:,}")
    con.print(modes)
    _printstate_of(net, state)
    return 0


# ---------------------------------------------------------------------------- scenarios


@app.command()
def scenarios(
    diff: Annotated[
        str | None,
        typer.Option(
            "--diff", help="Two scenarios to compare, A,B ('none' for what happened only)."
        ),
    ] = None,
    date: DateOpt = None,
    as_json: JsonOpt = False,
    package: PackageOpt = None,
) -> int:
    """List the shipped scenarios, or compare two of them on a date."""
    from rich.table import Table

    from ..timeline import diff_states, parse_date, scenario_horizon, scenario_summaries

    net = load(package)
    if diff is None:
        rows = scenario_summaries(net)
        if as_json:
            emit_json({"scenarios": rows})
            return 0
        table = Table("scenario", "title", "horizon", "events it adds")
        for r in rows:
            table.add_row(r["id"], r["title"], r["horizon"], ", ".join(r["events"]))
        console().print(table)
        return 0
    names = [n.strip() for n in diff.split(",")]
    if len(names) != 2:
        raise BadArgumentError(
            f"--diff takes two scenario names separated by a comma, got {diff!r}"
        )
    ids = [None if n.lower() == "none" else n for n in names]
    if date is not None:
        day = parse_date(date)
    else:
        day = max((scenario_horizon(net, s) for s in ids if s), default=net.manifest.data_as_of)
    a, b = (net.as_of(day, s) for s in ids)
    d = diff_states(a, b)
    doc: dict[str, Any] = {
        "date": day.isoformat(),
        "a": ids[0],
        "b": ids[1],
        "events_only_in_b": list(d.events_added),
        "events_only_in_a": list(d.events_removed),
        "links_changed": [{"id": i, "a": x, "b": y} for i, x, y in d.links_changed],
        "crossings_changed": [{"id": i, "a": x, "b": y} for i, x, y in d.crossings_changed],
        "rules_changed": [{"id": i, "a": x, "b": y} for i, x, y in d.rules_changed],
    }
    if as_json:
        emit_json(doc)
        return 0
    table = Table("element", "id", names[0], names[1], title=f"{names[0]} vs {names[1]} on {day}")
    for kind in ("links", "crossings", "rules"):
        for item in doc[f"{kind}_changed"]:
            table.add_row(kind[:-1], item["id"], str(item["a"]), str(item["b"]))
    console().print(table)
    return 0


# ---------------------------------------------------------------------------- export


@app.command()
def export(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="geojson or csv.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File (geojson) or folder (csv).")],
    date: DateOpt = None,
    scenario: ScenarioOpt = None,
    package: PackageOpt = None,
) -> int:
    """Export places and links (with their status on a date) as GeoJSON or CSV."""
    from ..export import write_csv_tables, write_geojson

    if fmt not in ("geojson", "csv"):
        raise BadArgumentError(f"unknown export format {fmt!r}; valid: geojson, csv")
    net = load(package)
    state = state_of(net, date, scenario)
    written = [write_geojson(state, out)] if fmt == "geojson" else write_csv_tables(state, out)
    for p in written:
        typer.echo(str(p))
    return 0


@app.command()
def schema(
    markdown: Annotated[bool, typer.Option("--markdown", help="The docs page.")] = True,
) -> int:
    """Print the network-package format reference (docs/schema.md)."""
    from ..schema import schema_markdown

    typer.echo(schema_markdown() if markdown else "")
    return 0
