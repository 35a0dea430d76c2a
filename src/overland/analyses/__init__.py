"""Analyses on a network package, each in its own module over the core:

- :mod:`.flows` — corridor flows: the package's demand at user equilibrium, corridor
  shares, link groups, bottlenecks;
- :mod:`.criticality` — single failures ranked by impact (incremental re-solve);
- :mod:`.congested` — the worst failures re-solved at user equilibrium;
- :mod:`.disruption` — elements closed for some days: queues, waiting or rerouting;
- :mod:`.dependence` — country dependence on transit countries, OD redundancy;
- :mod:`.reliability` — dwell and wait distributions, Monte Carlo P50/P90;
- :mod:`.layers` — the utility layers (pipelines, fibre, power): max flow, min cut,
  N-1, latency.
"""
