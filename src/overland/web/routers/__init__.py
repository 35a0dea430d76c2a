"""The API's endpoints, one module per group: network state, routes, analyses, pages."""
