"""Runs Label Studio's own code over a labelterm JSON export, for tests/ls_results.rs.

Usage: python check.py CONFIG.xml EXPORT.json OUT_DIR FORMAT...

For each FORMAT, Label Studio's converter converts EXPORT.json into OUT_DIR/FORMAT/.
Every region of every annotation and prediction is also checked with the SDK's validator
(LabelInterface.validate_region, validate_relation for relations). Prints one JSON object:
  {"errors": [{"where": "task 1 annotation 0 region 2", "type": "choices", "errors": [...]}]}
"""

import json
import os
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: check.py CONFIG.xml EXPORT.json OUT_DIR FORMAT...")
    config_path, export_path, out = sys.argv[1:4]
    formats = sys.argv[4:]
    from label_studio_sdk.converter import Converter
    from label_studio_sdk.label_interface import LabelInterface

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
    print(json.dumps({"errors": errors}))


if __name__ == "__main__":
    main()
