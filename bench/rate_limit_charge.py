"""Benchmark: what charging the shared rate-limit bucket adds to a request (`gateway.rate_limits`): one atomic
upsert in the gateway's database, timed on a throwaway migrated database on the configured PostgreSQL server,
beside a bare `SELECT 1` transaction on the same connection pool (the round trip it cannot be cheaper than).
Asserts nothing.

    .venv/bin/python -m bench.rate_limit_charge [--charges 2000] [--callers 50]
"""
import argparse
import statistics
import time

from sqlalchemy import text

from common.db import make_engine
from gateway.rate_limits import Limit, RateLimiter
from tests.support import throwaway_database


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=2000)
    parser.add_argument("--callers", type=int, default=50)
    args = parser.parse_args()
    with throwaway_database("gateway", "bench_rate") as url:
        engine = make_engine(url, pool_size=2)
        limiter = RateLimiter(engine, Limit(1e6, 10 ** 9))
        for n in range(args.callers):  # every bucket exists: the steady state is an update, not an insert
            limiter.charge(f"caller-{n}")
        charges, selects = [], []
        for n in range(args.charges):  # interleaved: both see the same load
            started = time.perf_counter()
            limiter.charge(f"caller-{n % args.callers}")
            charges.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(text("SELECT 1")).all()
            selects.append((time.perf_counter() - started) * 1000)
        engine.dispose()
    for label, times in (("rate-limit charge", charges), ("SELECT 1 transaction", selects)):
        times.sort()
        print(f"{label} over {args.charges} requests, {args.callers} callers: median "
              f"{statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms")


if __name__ == "__main__":
    main()
