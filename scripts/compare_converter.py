#!/usr/bin/env python3
"""Times `labelterm convert` against Label Studio's own converter on the same export file.

Creates a virtual environment in bench-data/venv (once) with label-studio-sdk 2.1.2 from
PyPI, builds the benchmark projects (`cargo bench --bench export -- --prepare ...`, cached in
bench-data/), exports each project to a Label Studio JSON file with labelterm, then converts
that file with both tools, REPEAT times each, alternating, and prints min/median seconds,
labelterm's peak memory, the speed ratio, and whether the outputs are identical.

    scripts/compare_converter.py                      # text=100000 ner=100000, 3 repeats
    scripts/compare_converter.py --repeat 5 text=1000000
    scripts/compare_converter.py --formats CSV,JSON_MIN ner=20000

The converter's time is measured around `Converter.convert()` only (its import time is
left out); labelterm's is the whole process.
"""

import argparse
import filecmp
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench-data")
VENV = os.path.join(BENCH, "venv")
SDK = "label-studio-sdk==2.1.2"
DEFAULT_FORMATS = {
    "text": ["JSON_MIN", "CSV", "TSV", "CONLL2003"],
    "ner": ["JSON_MIN", "CSV", "CONLL2003"],
    "image": ["JSON_MIN", "CSV"],
}

CONVERT = """
import sys, time
from label_studio_sdk.converter import Converter
config, tasks, out, fmt = sys.argv[1:5]
c = Converter(config=open(config).read(), project_dir=None, upload_dir=None, download_resources=False)
t = time.perf_counter()
c.convert(tasks, out, fmt, is_dir=False)
print(time.perf_counter() - t)
"""


def venv_python():
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        print(f"creating {VENV} with {SDK} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    probe = subprocess.run(
        [py, "-c", "import importlib.metadata as m; print(m.version('label-studio-sdk'))"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0 or probe.stdout.strip() != SDK.split("==")[1]:
        subprocess.run([py, "-m", "pip", "install", "-q", SDK], check=True)
    return py


def labelterm_binary():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "labelterm")


def prepare(kind, n):
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "--bench", "export", "--", "--prepare", f"{kind}={n}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def run_measured(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MiB, stdout)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    stdout = p.stdout.read().decode()
    stderr = p.stderr.read().decode()
    p.stdout.close()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{stderr}")
    return wall, usage.ru_maxrss / 1024.0, stdout


def same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(os.path.join(a, d), os.path.join(b, d)) for d in cmp.common_dirs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("projects", nargs="*", help="KIND=TASKS (text, ner, image)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--formats", help="comma-separated, instead of each kind's default list")
    args = ap.parse_args()
    projects = args.projects or ["text=100000", "ner=100000"]

    py = venv_python()
    lt = labelterm_binary()
    work = os.path.join(BENCH, "compare")
    os.makedirs(work, exist_ok=True)
    rows = []
    for spec in projects:
        kind, n = spec.split("=")
        db = prepare(kind, n)
        config = os.path.join(work, f"{kind}-config.xml")
        with sqlite3.connect(db) as c:
            (xml,) = c.execute("SELECT label_config FROM project").fetchone()
        with open(config, "w") as f:
            f.write(xml)
        tasks = os.path.join(work, f"{kind}-{n}.json")
        if not os.path.exists(tasks):
            subprocess.run(
                [lt, "export", db, "--export-type", "JSON", "--export-path", tasks, "--download-all-tasks"],
                check=True,
                capture_output=True,
            )
        size = os.path.getsize(tasks) / 1e6
        formats = args.formats.split(",") if args.formats else DEFAULT_FORMATS[kind]
        for fmt in formats:
            ours, theirs, peaks = [], [], []
            ours_dir = os.path.join(work, "ours")
            theirs_dir = os.path.join(work, "theirs")
            for _ in range(args.repeat):
                for d in (ours_dir, theirs_dir):
                    shutil.rmtree(d, ignore_errors=True)
                    os.makedirs(d)
                wall, peak, _ = run_measured(
                    [lt, "convert", "--label-config", config, "--input-path", tasks,
                     "--export-type", fmt, "--export-path", ours_dir + "/"]
                )
                ours.append(wall)
                peaks.append(peak)
                _, _, out = run_measured([py, "-c", CONVERT, config, tasks, theirs_dir, fmt])
                theirs.append(float(out.strip().splitlines()[-1]))
            identical = same_tree(ours_dir, theirs_dir)
            rows.append((kind, n, size, fmt, min(ours), statistics.median(ours), max(peaks),
                         min(theirs), statistics.median(theirs), identical))
            r = rows[-1]
            print(
                f"{kind:<5} {n:>8} tasks ({size:.0f} MB)  {fmt:<10} labelterm min {r[4]:.2f} s median {r[5]:.2f} s "
                f"(peak {r[6]:.0f} MiB)  converter min {r[7]:.2f} s median {r[8]:.2f} s  "
                f"ratio median {r[8] / r[5]:.1f}x min {r[7] / r[4]:.1f}x  identical: {'yes' if identical else 'NO'}",
                flush=True,
            )
    print()
    print("| project | tasks | format | labelterm min / median s | peak MiB | converter min / median s | speed ratio (median) | identical |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind, n, size, fmt, omin, omed, peak, tmin, tmed, same in rows:
        print(f"| {kind} | {n} | {fmt} | {omin:.2f} / {omed:.2f} | {peak:.0f} | {tmin:.2f} / {tmed:.2f} | "
              f"{tmed / omed:.1f}x | {'yes' if same else 'no'} |")


if __name__ == "__main__":
    main()
