"""Makes this case's expected files with Label Studio's own converter.

Pairwise and Ranker results (with buckets, a bucket named like a number, an empty
bucket, a bare-list ranking as Label Studio also reads it, a skipped annotation, a task
without annotations). Run from this directory with label-studio-sdk 2.1.2 installed:

    PYTHONHASHSEED=0 python make_case.py

It writes config.xml, tasks.json, expected/FORMATS.txt, expected/<FORMAT>/ and
expected/<FORMAT>.files, as the other cases have them.
"""
import json
import os
import shutil

from label_studio_sdk.converter import Converter

CONFIG = """<View>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="pw" toName="a,b"/>
  <Text name="a" value="$a"/>
  <Text name="b" value="$b"/>
  <List name="answers" value="$items" title="Answers"/>
  <Ranker name="rank" toName="answers">
    <Bucket name="good" title="Good"/>
    <Bucket name="2" title="Second best"/>
    <Bucket name="bad" title="Bad"/>
  </Ranker>
</View>
"""

ITEMS = [
    {"id": "x1", "title": "One", "body": "first"},
    {"id": "x2", "title": "Two", "body": "second / with a slash"},
    {"id": "x3", "html": "<img src='/static/c.png'/>"},
]


def ann(aid, created, result, cancelled=False, who=1):
    return {
        "id": aid,
        "completed_by": who,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": created,
        "updated_at": created,
        "lead_time": 3.5,
        "history": [],
    }


def pw(side, rid="p1"):
    return {"id": rid, "from_name": "pw", "to_name": "pw", "type": "pairwise",
            "value": {"selected": side}, "origin": "manual"}


def rank(value, rid="r1"):
    return {"id": rid, "from_name": "rank", "to_name": "answers", "type": "ranker",
            "value": {"ranker": value}, "origin": "manual"}


TASKS = [
    {
        "id": 1,
        "data": {"prompt": "Which is better?", "a": "left text", "b": "right text", "items": ITEMS},
        "annotations": [
            ann(11, "2024-01-02T10:00:00.000000Z",
                [pw("left"), rank({"_": ["x3"], "good": ["x2", "x1"], "2": [], "bad": []})]),
            ann(12, "2024-01-03T10:00:00.000000Z", [pw("right")], who=2),
            ann(13, "2024-01-04T10:00:00.000000Z", [pw("left")], cancelled=True),
        ],
        "predictions": [],
    },
    {
        "id": 2,
        "data": {"prompt": "Only a ranking", "a": "l", "b": "r", "items": ITEMS},
        "annotations": [
            ann(21, "2024-01-05T10:00:00.000000Z",
                [rank({"2": ["x1"], "_": ["x2", "x3"], "good": [], "bad": []})]),
            ann(22, "2024-01-06T10:00:00.000000Z", [rank(["x3", "x1", "x2"])], who=2),
        ],
        "predictions": [],
    },
    {
        "id": 3,
        "data": {"prompt": "Not labeled", "a": "l", "b": "r", "items": []},
        "annotations": [],
        "predictions": [],
    },
]


def main():
    with open("config.xml", "w") as f:
        f.write(CONFIG)
    with open("tasks.json", "w") as f:
        json.dump(TASKS, f, indent=2)
    shutil.rmtree("expected", ignore_errors=True)
    os.makedirs("expected")
    c = Converter(config=CONFIG, project_dir=None, upload_dir="upload", download_resources=False)
    supported = sorted(c.supported_formats)
    run = [f for f in ["JSON_MIN", "CSV", "TSV"] if f in supported]
    for fmt in run:
        out = os.path.join("expected", fmt)
        os.makedirs(out)
        c.convert("tasks.json", out, fmt, is_dir=False)
        entries = []
        for root, dirs, files in os.walk(out):
            rel = os.path.relpath(root, out)
            for d in dirs:
                entries.append(os.path.normpath(os.path.join(rel, d)) + "/")
            for fn in files:
                entries.append(os.path.normpath(os.path.join(rel, fn)))
        with open(os.path.join("expected", fmt + ".files"), "w") as f:
            f.write("".join(e + "\n" for e in sorted(entries)))
    with open(os.path.join("expected", "FORMATS.txt"), "w") as f:
        json.dump({
            "converter": "label-studio-sdk 2.1.2",
            "supported_formats": [str(x) for x in c.supported_formats],
            "formats_run": run,
            "options": {fmt: {"download_resources": False} for fmt in run},
        }, f, indent=2)


if __name__ == "__main__":
    main()
