"""Benchmarks (`make bench`): the app against a bare WSGI baseline in the same run."""
