"""Writes the table files under tests/fixtures/tables with the libraries data people use:
pyarrow (Parquet, Feather, an Arrow stream), pandas with openpyxl, xlwt and odfpy
(spreadsheets) and Hugging Face `datasets` (a dataset and a dataset dict saved to disk).
The tests read the committed files; this script documents how they were made.

    python -m venv venv && venv/bin/pip install pyarrow pandas openpyxl xlwt odfpy datasets
    venv/bin/python scripts/make_table_fixtures.py
"""
import datetime
import io
import os
import struct
import zlib

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "tables")


def png(width, height, rgb):
    """A tiny solid-colour PNG."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def reviews_table():
    return pa.table({
        "review_id": pa.array([101, 102, 103, 104], pa.int64()),
        "text": ["Battery lasts two days", "Screen cracked in a week", None, "\u00e9t\u00e9 \u6f22\u5b57 \U0001F600"],
        "rating": pa.array([4.5, 1.0, 3.25, None], pa.float64()),
        "verified": [True, False, True, None],
        "tags": pa.array([["battery"], ["screen", "damage"], [], None], pa.list_(pa.string())),
        "meta": pa.array([{"lang": "en", "votes": 3}, {"lang": "en", "votes": 0}, None, {"lang": "fr", "votes": 7}],
                         pa.struct([("lang", pa.string()), ("votes", pa.int32())])),
        "posted": pa.array([datetime.datetime(2024, 5, 1, 12, 30), datetime.datetime(2024, 5, 2), None,
                            datetime.datetime(2024, 6, 30, 23, 59, 59)], pa.timestamp("ms")),
        "store": pa.array(["web", "app", "web", "app"]).dictionary_encode(),
    })


def main():
    os.makedirs(OUT, exist_ok=True)
    table = reviews_table()
    pq.write_table(table, os.path.join(OUT, "reviews.parquet"), row_group_size=2)
    # A table split over files, as Spark and DuckDB write it.
    os.makedirs(os.path.join(OUT, "reviews_parts"), exist_ok=True)
    pq.write_table(table.slice(0, 2), os.path.join(OUT, "reviews_parts", "part-0.parquet"), compression="zstd")
    pq.write_table(table.slice(2), os.path.join(OUT, "reviews_parts", "part-1.parquet"), compression="gzip")
    feather.write_feather(table, os.path.join(OUT, "reviews.feather"))  # LZ4 by default
    with pa.OSFile(os.path.join(OUT, "reviews.arrows"), "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=3)

    import pandas as pd
    frame = pd.DataFrame({
        "text": ["Great phone", "Too slow", "Okay"],
        "score": [5, 2, 3.5],
        "zip": ["007", "010", "123"],
        "checked": [True, False, True],
        "when": [datetime.datetime(2024, 1, 5), datetime.datetime(2024, 1, 6, 8, 15), datetime.datetime(2024, 2, 1)],
    })
    other = pd.DataFrame({"text": ["second sheet"], "n": [1]})
    for ext, engine in (("xlsx", "openpyxl"), ("ods", "odf")):
        with pd.ExcelWriter(os.path.join(OUT, f"reviews.{ext}"), engine=engine) as w:
            frame.to_excel(w, sheet_name="Reviews", index=False)
            other.to_excel(w, sheet_name="Other", index=False)
    import xlwt
    book = xlwt.Workbook()
    sheet = book.add_sheet("Reviews")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, name in enumerate(frame.columns):
        sheet.write(0, c, name)
    for r, row in enumerate(frame.itertuples(index=False), start=1):
        for c, v in enumerate(row):
            if isinstance(v, pd.Timestamp):
                sheet.write(r, c, v.to_pydatetime(), date_style)
            else:
                sheet.write(r, c, v.item() if hasattr(v, "item") else v)
    book.add_sheet("Other").write(0, 0, "text")
    book.save(os.path.join(OUT, "reviews.xls"))

    import datasets
    images = datasets.Dataset.from_dict(
        {"image": [{"bytes": png(2, 2, (255, 0, 0)), "path": None},
                   {"bytes": png(1, 1, (0, 0, 255)), "path": "blue.png"}],
         "label": [0, 1]},
        features=datasets.Features({"image": datasets.Image(),
                                    "label": datasets.ClassLabel(names=["cat", "dog"])}))
    images.save_to_disk(os.path.join(OUT, "hf_images"))
    text = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"text": ["first train", "second train"], "label": [1, 0]}),
        "test": datasets.Dataset.from_dict({"text": ["only test"], "label": [1]}),
    })
    text.save_to_disk(os.path.join(OUT, "hf_text"))


if __name__ == "__main__":
    main()
