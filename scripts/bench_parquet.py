#!/usr/bin/env python3
"""Times Parquet import and export against pyarrow on the same 1,000,000-row table.

Writes (once, into bench-data/) a Parquet file of N text tasks with pyarrow: `text`, an int
`review_id`, a float `rating`, a bool `verified` and a list `tags`. Then, REPEAT times each:

- import: `labelterm init` of that file into a new project, beside pyarrow reading the same
  file into a table (`pq.read_table`) and into rows (`to_pylist`, what a task import needs);
- export: `labelterm export --export-type PARQUET` of the project (one row per task with
  the task's JSON and a column per control), beside pyarrow writing the same table
  (`pq.write_table`, Snappy, as both do).

Prints min/median seconds and peak memory (max RSS of the process) of each.

    scripts/bench_parquet.py                 # 1000000 rows, 3 repeats
    scripts/bench_parquet.py --repeat 5 200000

Needs GNU time (`/usr/bin/time`, for peak memory) and a Python with pyarrow (`--python`,
default: bench-data/venv, created with pyarrow).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench-data")
BIN = os.path.join(ROOT, "target", "release", "labelterm")
CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>
"""

MAKE = """
import sys, random
import pyarrow as pa, pyarrow.parquet as pq
n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
words = "battery screen phone great poor fast slow price value charge camera sound light heavy".split()
texts = [" ".join(rng.choice(words) for _ in range(12 + i % 20)) for i in range(n)]
table = pa.table({
    "review_id": pa.array(range(n), pa.int64()),
    "text": texts,
    "rating": pa.array([(i % 50) / 10 for i in range(n)], pa.float64()),
    "verified": [i % 3 == 0 for i in range(n)],
    "tags": [[words[i % 14], words[(i * 7) % 14]] for i in range(n)],
})
pq.write_table(table, out, row_group_size=65536)
"""

READ = """
import sys, time, resource
import pyarrow.parquet as pq
t = time.perf_counter()
table = pq.read_table(sys.argv[1])
t_table = time.perf_counter() - t
rows = table.to_pylist()
t_rows = time.perf_counter() - t
print(t_table, t_rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

WRITE = """
import sys, time, resource
import pyarrow.parquet as pq
table = pq.read_table(sys.argv[1])
t = time.perf_counter()
pq.write_table(table, sys.argv[2], compression="snappy")
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def python_with_pyarrow(given):
    if given:
        return given
    venv = os.path.join(BENCH, "venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    if subprocess.run([py, "-c", "import pyarrow"], capture_output=True).returncode != 0:
        subprocess.run([py, "-m", "pip", "install", "-q", "pyarrow"], check=True)
    return py


def peak_of(cmd):
    """Seconds and peak RSS (KiB) of one command, measured by GNU time."""
    with tempfile.NamedTemporaryFile("r") as f:
        t = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name, *cmd], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        took = time.perf_counter() - t
        return took, int(f.read().strip().splitlines()[-1])


def summary(name, runs):
    secs = [r[0] for r in runs]
    mem = max(r[1] for r in runs) / 1024
    print(f"| {name} | {min(secs):.2f} / {statistics.median(secs):.2f} | {mem:.0f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--python")
    args = ap.parse_args()
    py = python_with_pyarrow(args.python)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(BENCH, exist_ok=True)
    table = os.path.join(BENCH, f"table-{args.rows}.parquet")
    if not os.path.exists(table):
        subprocess.run([py, "-c", MAKE, str(args.rows), table], check=True)
    with tempfile.TemporaryDirectory(dir=BENCH) as work:
        run(args, py, table, work)


def run(args, py, table, work):
    """The timed steps, in `work` (removed afterwards)."""
    config = os.path.join(work, "config.xml")
    with open(config, "w") as f:
        f.write(CONFIG)
    size = os.path.getsize(table) / 1e6
    print(f"{args.rows:,} rows, {size:.0f} MB Parquet\n")
    print("| step | min / median s | peak MiB |\n| --- | --- | --- |")
    ours_in, theirs_table, theirs_rows, ours_out, theirs_out = [], [], [], [], []
    db = os.path.join(work, "p.db")
    for _ in range(args.repeat):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        ours_in.append(peak_of([BIN, "-q", "init", db, "--label-config", config,
                                "--input-path", table]))
        out = subprocess.run(["/usr/bin/time", "-f", "%M", py, "-c", READ, table],
                             capture_output=True, text=True, check=True)
        t_table, t_rows, _ = out.stdout.split()
        peak = int(out.stderr.strip().splitlines()[-1])
        theirs_table.append((float(t_table), peak))
        theirs_rows.append((float(t_rows), peak))
        target = os.path.join(work, "out.parquet")
        ours_out.append(peak_of([BIN, "-q", "export", db, "--export-type", "PARQUET",
                                 "--export-path", target, "--download-all-tasks"]))
        out = subprocess.run([py, "-c", WRITE, table, os.path.join(work, "py.parquet")],
                             capture_output=True, text=True, check=True)
        secs, peak = out.stdout.split()
        theirs_out.append((float(secs), int(peak)))
    summary("labelterm import (init)", ours_in)
    summary("pyarrow read_table", theirs_table)
    summary("pyarrow read_table + to_pylist", theirs_rows)
    summary("labelterm export PARQUET", ours_out)
    summary("pyarrow write_table", theirs_out)


if __name__ == "__main__":
    main()
