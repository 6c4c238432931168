"""Benchmarks: each prints its figures next to the raw library doing the same work, as ratios."""
