"""Benchmarks: synthetic national packs (``generate``) and timed cases (``run``)."""
