"""Writes every labeling template of the installed Label Studio with the sample task
Label Studio itself makes for it, for the template suite (tests/ls_templates.rs).

Usage: python make_samples.py OUT_DIR

One folder per template under OUT_DIR (`group__template`), holding:
  config.xml    the template's labeling config
  task.json     [{"data": ...}]: the sample task of `core.label_config.get_sample_task`,
                which the project's sample-task endpoint serves
  formats.json  the export formats Label Studio offers for the config
"""

import glob
import json
import os
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_samples.py OUT_DIR")
    out = sys.argv[1]

    # The sample-task code reads one setting (the host its example URLs point at); a
    # configured minimum is enough, no database or app registry is needed.
    from django.conf import settings

    if not settings.configured:
        settings.configure(HOSTNAME="http://localhost:8080")

    import label_studio
    import yaml
    from label_studio.core.label_config import get_sample_task
    from label_studio_sdk._extensions.label_studio_tools.core.label_config import parse_config
    from label_studio_sdk.converter import Converter

    root = os.path.join(os.path.dirname(label_studio.__file__), "annotation_templates")
    files = sorted(glob.glob(os.path.join(root, "**", "config.yml"), recursive=True))
    if not files:
        sys.exit(f"no templates under {root}")
    for path in files:
        rel = os.path.relpath(os.path.dirname(path), root)
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)["config"]
        data, _annotations, _predictions = get_sample_task(config)
        formats = Converter(config=parse_config(config), project_dir=None).supported_formats
        folder = os.path.join(out, rel.replace(os.sep, "__"))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.xml"), "w", encoding="utf-8") as f:
            f.write(config)
        with open(os.path.join(folder, "task.json"), "w", encoding="utf-8") as f:
            json.dump([{"data": data}], f, ensure_ascii=False, indent=1)
        with open(os.path.join(folder, "formats.json"), "w", encoding="utf-8") as f:
            json.dump(sorted(str(x) for x in formats), f)
    print(f"{len(files)} templates written to {out}")


if __name__ == "__main__":
    main()
