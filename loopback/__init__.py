"""Real servers started on loopback (127.0.0.1) by the tests and the benchmarks: PostgreSQL, an S3
server, and the free port each listens on. Outside tests/ so that benchmarks need not import tests."""
