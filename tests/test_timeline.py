"""The timeline: events applied in date order, scenarios only when asked for."""

from __future__ import annotations

import datetime as dt

import pytest

from overland import BadArgumentError, Network, ScenarioError, diff_states

BAN = "az-transit-ban-armenia"


def test_toy_rule_switches_on_and_off(toy: Network) -> None:
    assert not toy.as_of("1989-08-31").rules["az-ban"].in_force
    assert toy.as_of("1989-09-01").rules["az-ban"].in_force
    assert toy.as_of("2025-10-20").rules["az-ban"].in_force
    assert not toy.as_of("2025-10-21").rules["az-ban"].in_force


def test_toy_link_and_crossings_close(toy: Network) -> None:
    before, after = toy.as_of("1993-07-11"), toy.as_of("1993-07-12")
    assert before.links["gyumri-kars"].status == "open"
    assert after.closed_links() == ("gyumri-kars",)
    assert set(after.closed_crossings()) == {"am-tr-rail", "tr-am-rail"}
    # the base network itself is untouched
    assert toy.links["gyumri-kars"].status == "open"


def test_planned_events_need_their_scenario(toy: Network) -> None:
    assert toy.as_of("2031-01-01").links["gyumri-kars"].status == "closed"
    reopened = toy.as_of("2031-01-01", "reopen")
    assert reopened.links["gyumri-kars"].status == "open"
    assert [e.id for e in reopened.events_applied][-1] == "kars-reopens"
    assert toy.as_of("2029-12-31", "reopen").links["gyumri-kars"].status == "closed"


def test_scenario_without_date_is_at_its_horizon(toy: Network) -> None:
    assert toy.as_of(scenario="reopen").date == dt.date(2030, 1, 1)


def test_unknown_scenario_lists_the_valid_ones(toy: Network) -> None:
    with pytest.raises(
        ScenarioError, match="unknown scenario 'reopn'; valid scenarios are: reopen"
    ):
        toy.as_of("2030-01-01", "reopn")


def test_bad_and_early_dates(toy: Network) -> None:
    with pytest.raises(BadArgumentError, match="expected YYYY-MM-DD"):
        toy.as_of("1 May 2025")
    with pytest.raises(BadArgumentError, match="no such day"):
        toy.as_of("2025-13-01")
    with pytest.raises(ScenarioError, match="before the package's base date"):
        toy.as_of("1980-01-01")


def test_diff_names_what_changed(toy: Network) -> None:
    d = diff_states(toy.as_of("1990-01-01"), toy.as_of("2026-01-01"))
    assert d.events_added == ("kars-closes", "ban-lifted")
    assert d.links_changed == (("gyumri-kars", "open", "closed"),)
    assert d.rules_changed == (("az-ban", True, False),)
    assert diff_states(toy.as_of("2026-01-01"), toy.as_of("2026-01-01")).is_empty()


def test_embedded_transit_ban_dates(embedded: Network) -> None:
    assert embedded.as_of("2025-10-01").rules[BAN].in_force
    assert not embedded.as_of("2025-11-10").rules[BAN].in_force
    assert not embedded.as_of("1988-06-01").rules[BAN].in_force
    assert embedded.as_of("1995-01-01").rules[BAN].in_force


def test_embedded_events_between_two_dates(embedded: Network) -> None:
    early, late = embedded.as_of("1995-01-01"), embedded.as_of("2025-12-01")
    between = [
        e.id
        for e in embedded.events
        if e.status == "happened" and dt.date(1995, 1, 1) < e.date <= dt.date(2025, 12, 1)
    ]
    d = diff_states(early, late)
    assert list(d.events_added) == between
    assert d.events_removed == ()
    assert "transit-ban-lifted" in between
    assert "btk-opens" in between


@pytest.mark.parametrize(
    ("scenario", "link"),
    [
        ("tripp", "rail-aghband-meghri_border_east"),
        ("tripp", "rail-horadiz-aghband"),
        ("margara", "road-margara-alican"),
        ("margara", "rail-akhuryan-dogukapi"),
        ("kars-dilucu", "rail-kars-dilucu"),
        ("open-caucasus", "rail-meghri_border_west-ordubad"),
        ("open-caucasus", "road-margara-alican"),
        ("open-caucasus", "rail-dilucu-sadarak"),
    ],
)
def test_shipped_scenarios_open_their_links(embedded: Network, scenario: str, link: str) -> None:
    assert embedded.as_of("2026-03-31").links[link].status != "open"
    assert embedded.as_of(scenario=scenario).links[link].status == "open"
    assert embedded.as_of("2040-01-01").links[link].status != "open"


def test_margara_lifts_the_border_rule(embedded: Network) -> None:
    assert embedded.as_of("2026-03-31").rules["tr-am-border-closed"].in_force
    assert not embedded.as_of(scenario="margara").rules["tr-am-border-closed"].in_force


def test_open_caucasus_horizon_is_its_last_event(embedded: Network) -> None:
    state = embedded.as_of(scenario="open-caucasus")
    assert state.date == max(e.date for e in state.events_applied)
    assert state.date == dt.date(2029, 12, 31)


def test_every_scenario_cites_sources(embedded: Network) -> None:
    for sc in embedded.scenarios.values():
        assert sc.source
        for sid in sc.source:
            assert embedded.sources[sid].url


def test_the_georgian_main_line_gains_capacity_with_its_modernisation(
    embedded: Network,
) -> None:
    # 27 Mt/yr before the Rikoti-pass modernisation (TRACECA), 48 Mt/yr after it was
    # completed on 24 December 2025 (Civil Georgia; Deputy Economy Minister, 2025), on
    # every main-line link from Gardabani to Poti and Batumi
    [event] = [e for e in embedded.events if e.id == "georgian-railway-modernisation-complete"]
    links = [c.id for c in event.changes if c.target == "link"]
    assert {"rail-khashuri-zestafoni", "rail-senaki-poti", "rail-samtredia-batumi"} <= set(links)
    before, after = embedded.as_of("2025-12-23"), embedded.as_of("2025-12-24")
    for link in links:
        assert before.links[link].capacity_t_per_year == 27e6
        assert after.links[link].capacity_t_per_year == 48e6
    assert set(event.source) <= set(embedded.sources)
