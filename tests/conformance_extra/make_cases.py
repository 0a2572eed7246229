"""Makes extra conformance cases for the image formats with Label Studio's own converter.

The shared cases in ../conformance/ have no polygons, no explicit `category` ids, no labels
missing from the config, few rotations and few masks; these cases add them, with random
values from a fixed seed. Run from this directory with label-studio-sdk 2.1.2 installed
(it brings opencv-python-headless, numpy, Pillow, ujson):

    PYTHONHASHSEED=0 python make_cases.py

Each case gets the layout of ../conformance/<case>/: config.xml, tasks.json,
expected/FORMATS.txt, expected/<FORMAT>/ (the converter's output, called the way Label
Studio calls it) and expected/<FORMAT>.files.
"""
import json
import os
import random
import shutil

import numpy as np
from label_studio_sdk.converter import Converter
from label_studio_sdk.converter.brush import mask2rle

CONFIGS = {
    "extra_polygons": (
        """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car" category="2"/>
    <Label value="bus"/>
    <Label value="Äpfel"/>
    <Label value="zeta"/>
  </RectangleLabels>
  <PolygonLabels name="poly" toName="image">
    <Label value="Road"/>
    <Label value="Car"/>
  </PolygonLabels>
  <Choices name="q" toName="image">
    <Choice value="ok"/>
  </Choices>
</View>
""",
        ["COCO", "VOC", "YOLO", "YOLO_OBB"],
    ),
    "extra_keypoints": (
        """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="box" toName="image">
    <Label value="Person"/>
    <Label value="Dog"/>
  </RectangleLabels>
  <KeyPointLabels name="kp" toName="image">
    <Label value="a" model_index="2"/>
    <Label value="b" model_index="0"/>
    <Label value="c" model_index="1"/>
  </KeyPointLabels>
</View>
""",
        ["COCO", "VOC", "YOLO", "YOLO_OBB"],
    ),
    "extra_brush": (
        """<View>
  <Image name="image" value="$image"/>
  <BrushLabels name="tag" toName="image">
    <Label value="Cat"/>
    <Label value="Dog"/>
  </BrushLabels>
  <PolygonLabels name="poly" toName="image">
    <Label value="Pol"/>
  </PolygonLabels>
  <RectangleLabels name="rect" toName="image">
    <Label value="Box"/>
  </RectangleLabels>
</View>
""",
        ["BRUSH_TO_NUMPY", "BRUSH_TO_PNG", "BRUSH_TO_COCO"],
    ),
}


def make_tasks(case, rng):
    def num():
        r = rng.random()
        if r < 0.2:
            return rng.randint(0, 90)
        if r < 0.3:
            return round(rng.uniform(0, 90), 1)
        return rng.uniform(0, 90)

    tasks, rid = [], 0
    for t in range(1, 15):
        W, H = rng.choice([64, 100, 333, 640, 1000]), rng.choice([48, 75, 480, 999])
        anns = []
        for a in range(rng.choice([0, 1, 1, 1, 2, 3])):
            res, rects = [], []
            for _ in range(rng.randint(0, 6)):
                rid += 1
                k = rng.random()
                size = {"original_width": W, "original_height": H}
                if case == "extra_polygons":
                    if k < 0.45:
                        res.append({"id": f"r{rid}", "from_name": "label", "to_name": "image",
                                    "type": "rectanglelabels", **size,
                                    "value": {"x": num(), "y": num(), "width": num() + 0.5, "height": num(),
                                              "rotation": rng.choice([0, 0, 0, 15, 30, 90, -45, 200.5]),
                                              "rectanglelabels": rng.sample(["Car", "bus", "Äpfel", "zeta", "Unknown"],
                                                                            rng.choice([1, 1, 2]))}})
                    elif k < 0.85:
                        res.append({"id": f"p{rid}", "from_name": "poly", "to_name": "image",
                                    "type": "polygonlabels", **size,
                                    "value": {"points": [[num(), num()] for _ in range(rng.randint(3, 25))],
                                              "polygonlabels": [rng.choice(["Road", "Car"])]}})
                    else:
                        res.append({"id": f"q{rid}", "from_name": "q", "to_name": "image",
                                    "type": "choices", "value": {"choices": ["ok"]}})
                elif case == "extra_keypoints":
                    if k < 0.4 or not rects:
                        rects.append(f"b{rid}")
                        res.append({"id": f"b{rid}", "from_name": "box", "to_name": "image",
                                    "type": "rectanglelabels", **size,
                                    "value": {"x": num(), "y": num(), "width": num(), "height": num(),
                                              "rotation": 0, "rectanglelabels": [rng.choice(["Person", "Dog"])]}})
                    else:
                        v = {"id": f"k{rid}", "from_name": "kp", "to_name": "image", "type": "keypointlabels",
                             **size, "value": {"x": num(), "y": num(), "width": 0.5,
                                               "keypointlabels": [rng.choice(["a", "b", "c"])]}}
                        if rng.random() < 0.8:
                            v["parentID"] = rng.choice(rects)
                        res.append(v)
                else:
                    if k < 0.6:
                        w, h = rng.randint(1, 30), rng.randint(1, 20)
                        m = np.zeros((h, w), np.uint8)
                        for _ in range(rng.randint(1, 4)):
                            x0, y0 = rng.randint(0, w - 1), rng.randint(0, h - 1)
                            m[y0:y0 + rng.randint(1, 8), x0:x0 + rng.randint(1, 10)] = 255
                        if rng.random() < 0.3:
                            m[rng.randint(0, h - 1), rng.randint(0, w - 1)] = 0
                        res.append({"id": f"m{rid}", "from_name": "tag", "to_name": "image",
                                    "type": "brushlabels", "original_width": w, "original_height": h,
                                    "value": {"format": "rle", "rle": [int(b) for b in mask2rle(m)],
                                              "brushlabels": rng.sample(["Cat", "Dog"], rng.choice([1, 1, 2]))}})
                    elif k < 0.8:
                        res.append({"id": f"p{rid}", "from_name": "poly", "to_name": "image",
                                    "type": "polygonlabels", **size,
                                    "value": {"points": [[num(), num()] for _ in range(rng.randint(3, 9))],
                                              "polygonlabels": ["Pol"]}})
                    else:
                        res.append({"id": f"x{rid}", "from_name": "rect", "to_name": "image",
                                    "type": "rectanglelabels", **size,
                                    "value": {"x": num(), "y": num(), "width": num(), "height": num(),
                                              "rotation": 0, "rectanglelabels": ["Box"]}})
            anns.append({"id": 1000 * t + a,
                         "completed_by": rng.choice([1, 2, {"id": 3, "email": "x+y@example.com"}]),
                         "result": res, "was_cancelled": rng.random() < 0.15,
                         "created_at": f"2024-01-0{rng.randint(1, 9)}T00:00:00.000000Z"})
        image = rng.choice([f"http://127.0.0.1:8765/img{t}.png", "http://127.0.0.1:8765/dir/same.jpg",
                            f"/data/upload/3/i{t}.png"])
        task = {"id": t, "data": {"image": image}, "annotations": anns}
        if rng.random() < 0.1:
            del task["annotations"]
        tasks.append(task)
    return tasks


def main():
    for seed, (case, (config, formats)) in enumerate(CONFIGS.items()):
        rng = random.Random(1000 + seed)
        shutil.rmtree(case, ignore_errors=True)
        os.makedirs(case + "/expected")
        with open(case + "/config.xml", "w") as f:
            f.write(config)
        with open(case + "/tasks.json", "w") as f:
            json.dump(make_tasks(case, rng), f, ensure_ascii=False)
        cwd = os.getcwd()
        os.chdir(case)
        try:
            for fmt in formats:
                c = Converter(config=config, project_dir=None, upload_dir="upload", download_resources=False)
                os.makedirs("expected/" + fmt)
                c.convert("tasks.json", "expected/" + fmt, fmt, is_dir=False)
                entries = []
                for root, dirs, files in os.walk("expected/" + fmt):
                    rel = os.path.relpath(root, "expected/" + fmt)
                    for d in dirs:
                        entries.append(os.path.normpath(os.path.join(rel, d)) + "/")
                    for fn in files:
                        entries.append(os.path.normpath(os.path.join(rel, fn)))
                with open("expected/" + fmt + ".files", "w") as f:
                    f.write("".join(e + "\n" for e in sorted(entries)))
            with open("expected/FORMATS.txt", "w") as f:
                json.dump({"converter": "label-studio-sdk 2.1.2", "formats_run": formats,
                           "options": {fm: {"download_resources": False} for fm in formats}}, f, indent=2)
        finally:
            os.chdir(cwd)


if __name__ == "__main__":
    main()
