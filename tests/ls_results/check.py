"""Runs Label Studio's own code over a labelterm JSON export, for tests/ls_results.rs.

Usage: python check.py MANIFEST.json

The manifest is a list of {"config": CONFIG.xml, "export": EXPORT.json, "out": OUT_DIR,
"formats": [FORMAT, ...]}, all run in one process (Label Studio's code takes seconds to load).
For each FORMAT, Label Studio's converter converts EXPORT.json into OUT_DIR/FORMAT/.
Every region of every annotation and prediction is also checked with the SDK's validator
(LabelInterface.validate_region, validate_relation for relations). Prints one JSON list, one entry per manifest entry:
  [{"errors": [{"where": "task 1 annotation 0 region 2", "type": "choices", "errors": [...]}]}]
"""

import json
import os
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check.py MANIFEST.json")
    with open(sys.argv[1], encoding="utf-8") as f:
        manifest = json.load(f)
    print(json.dumps([check(**entry) for entry in manifest]))


def check(config, export, out, formats):
    from label_studio_sdk.converter import Converter
    from label_studio_sdk.label_interface import LabelInterface

    config_path, export_path = config, export
    with open(config_path, encoding="utf-8") as f:
        config = f.read()
    converter = Converter(config=config, project_dir=None, upload_dir=None, download_resources=False)
    for fmt in formats:
        converter.convert(export_path, os.path.join(out, fmt), fmt, is_dir=False)

    interface = LabelInterface(config)
    with open(export_path, encoding="utf-8") as f:
        tasks = json.load(f)
    errors = []
    for task in tasks:
        for kind in ("annotations", "predictions"):
            for i, item in enumerate(task.get(kind) or []):
                if not isinstance(item, dict):
                    continue
                result = item.get("result") or []
                regions = [r for r in result if r.get("type") != "relation"]
                for j, region in enumerate(result):
                    if region.get("type") == "relation":
                        found = interface.validate_relation(region, regions, return_errors=True, relation_index=j)
                    else:
                        found = interface.validate_region(region, return_errors=True, region_index=j)
                    if found:
                        errors.append({
                            "where": f"task {task.get('id')} {kind[:-1]} {i} region {j}",
                            "type": region.get("type"),
                            "errors": found,
                        })
    return {"errors": errors}


if __name__ == "__main__":
    main()
