"""How many threads numpy's BLAS may use in a service process.

OpenBLAS starts a worker per core and, after each product, keeps its workers spinning in wait for the
next one. For the products a service does (one query against a namespace's vectors, a few probes) that
buys a fraction of a millisecond and burns several: 10,000 x 384 against one query took 2.5 ms of CPU
on two threads and 0.5 ms on one, on the 2-core development machine. Somnia runs several processes
beside each other (and scales by replicas), so each one's products run on one thread by default.
"""

from __future__ import annotations

import os

from threadpoolctl import threadpool_info, threadpool_limits

# Read by a BLAS library when it loads: covers those this process has not imported yet.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def limit_blas_threads(threads: int) -> int:
    """Limit every BLAS library loaded in this process to `threads` (0 leaves the libraries' own
    default); returns the largest thread count in force afterwards (0 when no BLAS is loaded)."""
    if threads > 0:
        for variable in BLAS_THREAD_VARIABLES:
            os.environ.setdefault(variable, str(threads))
        threadpool_limits(limits=threads, user_api="blas")
    counts = [int(pool.get("num_threads", 0)) for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(counts, default=0)
