"""Benchmarks with the platform's speed and memory targets (``make bench``)."""
