"""Benchmarks: synthetic estates, API-call counts against the floor, wall time and peak memory."""
