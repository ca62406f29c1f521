"""Page jobs: the durable queue in the database, the worker pools (Ray, or in-process for fast
tests) and the dispatcher that moves jobs between them; `runner` starts and stops them."""
