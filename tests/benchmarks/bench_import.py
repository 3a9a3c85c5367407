"""Benchmark: `import` of a large usage.csv, as a user runs it (`python app.py import DIR`).

Writes csms.csv, accounts.csv (one account per 120 rows of usage) and a usage.csv of `--rows`
rows (default 12,000,000: 100,000 accounts x 120 days) into a temporary directory, runs the
import in a child process against a fresh SQLite file or `--database-url` (which must hold no
accounts yet: the benchmark measures a first import), and prints the rows per second of the
whole command and its peak resident memory (the child's ru_maxrss). Not part of the test suite.

    python tests/benchmarks/bench_import.py [--rows 12000000] [--database-url URL] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DAYS = 120
AS_OF = date(2026, 3, 2)
CSMS = 500


def write_export(directory: Path, rows: int) -> int:
    """The three files; returns how many accounts usage.csv covers."""
    accounts = max(1, rows // DAYS)
    with (directory / "csms.csv").open("w", encoding="utf-8") as handle:
        handle.write("slack_id,name,role\n")
        handle.writelines(f"UBENCH{i:05d},CSM {i},csm\n" for i in range(CSMS))
    with (directory / "accounts.csv").open("w", encoding="utf-8") as handle:
        handle.write("account_id,name,segment,arr,owner_slack_id,renewal_date\n")
        handle.writelines(
            f"ACC-{i:07d},Account {i},mid_market,{20_000 + i % 50_000},UBENCH{i % CSMS:05d},2026-09-30\n"
            for i in range(accounts)
        )
    days = [(AS_OF - timedelta(days=d)).isoformat() for d in range(DAYS)]
    with (directory / "usage.csv").open("w", encoding="utf-8") as handle:
        handle.write("account_id,date,active_users,licensed_seats,events\n")
        written = 0
        for i in range(accounts):
            seats = 20 + i % 200
            lines = [
                f"ACC-{i:07d},{day},{(i + d) % seats},{seats},{(i * 7 + d) % 900}\n"
                for d, day in enumerate(days)
            ]
            remaining = rows - written
            handle.writelines(lines[:remaining] if i == accounts - 1 else lines)
            written += min(len(lines), remaining) if i == accounts - 1 else len(lines)
    return accounts


def run_import(directory: Path, url: str) -> tuple[float, float, float, str]:
    """Seconds, CPU seconds, peak MiB and output of `app.py import` in a child process (the CPU
    time says what the import costs when the machine is shared)."""
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_BOT_TOKEN", None)  # csms.csv gives member ids: no lookup
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage_before.ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "import", str(directory)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage_after.ru_maxrss
    cpu = (usage_after.ru_utime + usage_after.ru_stime) - (usage_before.ru_utime + usage_before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")
    if peak <= before:  # ru_maxrss of children is the largest so far: say so rather than guess
        print("note: peak RSS is the largest of this run's children")
    return seconds, cpu, peak / 1024, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=12_000_000)
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from storage import models
    from storage.db import make_engine, make_session_factory, upgrade

    with tempfile.TemporaryDirectory(prefix="bench_import_") as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{Path(scratch) / 'import.db'}"
        engine = make_engine(url)
        upgrade(engine)
        with make_session_factory(engine)() as session:
            if session.scalar(select(func.count()).select_from(models.Account)):
                raise SystemExit("the database already holds accounts; give an empty one")
        engine.dispose()

        started = time.perf_counter()
        accounts = write_export(directory, args.rows)
        size = (directory / "usage.csv").stat().st_size
        print(f"wrote usage.csv: {args.rows:,} rows, {size / 2**20:,.0f} MiB, {accounts:,} accounts "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip

        seconds, cpu, peak_mib, output = run_import(directory, url)
        database = engine.dialect.name
        print(output.strip().splitlines()[-1] if output.strip() else "")
        print(f"{database}: imported {args.rows:,} usage rows (+{accounts:,} accounts) in {seconds:.1f} s: "
              f"{args.rows / seconds:,.0f} rows/s, {cpu:.1f} CPU s ({args.rows / cpu:,.0f} rows per CPU s), "
              f"peak RSS {peak_mib:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
