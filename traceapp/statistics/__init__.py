"""Statistics for the programme office: aggregates kept as projections, and their reads."""
