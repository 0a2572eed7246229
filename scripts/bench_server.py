#!/usr/bin/env python3
"""Times `labelterm push` and `labelterm pull` against a local Label Studio server, beside
Label Studio's own import API taking the same tasks.

Starts Label Studio (`--label-studio`, default: target/ls-server-venv/bin/label-studio, as
`.ci/run` installs it) on 127.0.0.1 with a throwaway data directory, then for each size N:

- writes N text tasks (one annotation and one prediction each) as a Label Studio JSON file;
- import API: POSTs that file's tasks to a new server project in requests of 500 tasks
  (`/api/projects/ID/import`), the way any client would upload them;
- push: `labelterm init` of the same file, `labelterm link --create`, `labelterm push`
  (timed: the push alone);
- pull: `labelterm pull NEW.db --project-id ID` of the pushed project (a clone), and a second
  pull of it (nothing to bring).

Prints seconds and tasks per second of each.

    scripts/bench_server.py                 # 10000 and 100000 tasks
    scripts/bench_server.py 10000
"""

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "labelterm")
TOKEN = "5f1e0c0d7a9b4c3e8f2a6b1d0c9e8f7a6b5c4d3e"
CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>
"""
WORDS = "battery screen phone great poor fast slow price value charge camera sound light heavy".split()


def api(url, method, path, body=None):
    req = urllib.request.Request(
        url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Token " + TOKEN, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=3600) as r:
        text = r.read()
    return json.loads(text) if text else None


def tasks(n):
    rng = random.Random(7)
    out = []
    for i in range(n):
        region = lambda c, k: [{"id": f"{k}{i}", "from_name": "sentiment", "to_name": "text",
                                "type": "choices", "value": {"choices": [c]}}]
        out.append({
            "data": {"text": " ".join(rng.choice(WORDS) for _ in range(12 + i % 20))},
            "annotations": [{"result": region(rng.choice(["Positive", "Negative", "Neutral"]), "a"),
                             "completed_by": {"email": f"annotator{i % 4}@example.com"}}],
            "predictions": [{"result": region("Positive", "p"), "score": round(rng.random(), 3),
                             "model_version": "bench-v1"}],
        })
    return out


def start(program, data):
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    number = port.getsockname()[1]
    port.close()
    log = open(os.path.join(data, "server.log"), "w")
    env = dict(os.environ, LABEL_STUDIO_BASE_DATA_DIR=os.path.join(data, "ls"))
    proc = subprocess.Popen(
        [program, "start", "--no-browser", "--host", "127.0.0.1", "--internal-host", "127.0.0.1",
         "--port", str(number), "--username", "admin@example.com", "--password", "admin-pass-123",
         "--user-token", TOKEN, "--enable-legacy-api-token", "--data-dir", os.path.join(data, "ls")],
        stdout=log, stderr=log, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{number}"
    for _ in range(800):
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit("Label Studio stopped; see " + log.name)
        time.sleep(0.5)
    sys.exit("Label Studio did not start in 400 s")


def labelterm(*args, env=None):
    """Runs labelterm; returns its seconds and standard output."""
    t = time.monotonic()
    r = subprocess.run([BIN, "-q", *args], check=True, env=env, capture_output=True, text=True)
    return time.monotonic() - t, r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[10000, 100000])
    ap.add_argument("--label-studio", default=os.path.join(ROOT, "target", "ls-server-venv", "bin", "label-studio"))
    args = ap.parse_args()
    if not os.path.exists(BIN):
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    data = tempfile.mkdtemp(prefix="bench-server-")
    proc, url = start(args.label_studio, data)
    env = dict(os.environ, LABEL_STUDIO_URL=url, LABEL_STUDIO_API_KEY=TOKEN,
               XDG_CONFIG_HOME=os.path.join(data, "config"))
    try:
        config = os.path.join(data, "config.xml")
        open(config, "w").write(CONFIG)
        for email in [f"annotator{i}@example.com" for i in range(4)]:
            api(url, "POST", "/api/users", {"email": email, "username": email})
        for n in args.sizes:
            items = tasks(n)
            path = os.path.join(data, f"tasks-{n}.json")
            json.dump(items, open(path, "w"))
            project = api(url, "POST", "/api/projects", {"title": f"import api {n}", "label_config": CONFIG})
            t = time.monotonic()
            for i in range(0, n, 500):
                api(url, "POST", f"/api/projects/{project['id']}/import", items[i:i + 500])
            upload = time.monotonic() - t
            db = os.path.join(data, f"push-{n}.db")
            labelterm("init", "--label-config", config, "--input-path", path, db, env=env)
            _, linked = labelterm("link", db, "--create", "--title", f"push {n}", env=env)
            pid = linked.split("project ")[1].split(" ")[0]
            push, _ = labelterm("push", db, env=env)
            again, _ = labelterm("push", db, env=env)
            clone = os.path.join(data, f"clone-{n}.db")
            pull, _ = labelterm("pull", clone, "--project-id", pid, env=env)
            pull_again, _ = labelterm("pull", clone, env=env)
            for name, secs in [("import API, 500 a request", upload), ("labelterm push", push),
                               ("labelterm push again (nothing to send)", again),
                               ("labelterm pull (clone)", pull), ("labelterm pull again", pull_again)]:
                print(f"{n:>7} tasks  {name:<40} {secs:8.2f} s  {n / secs:8.0f} tasks/s")
            sys.stdout.flush()
    finally:
        os.killpg(proc.pid, 15)
        proc.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
