"""Benchmarks that seed data and load a running Agora server (see bench/README.md)."""
