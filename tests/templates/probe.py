"""Exits 0 when this Python can run the Label Studio suites: everything they import loads."""

from django.conf import settings

if not settings.configured:
    settings.configure(HOSTNAME="http://localhost:8080")

import pyarrow.parquet  # noqa: E402,F401
import yaml  # noqa: E402,F401
from label_studio.core.label_config import get_sample_task  # noqa: E402,F401
from label_studio_sdk._extensions.label_studio_tools.core.label_config import parse_config  # noqa: E402,F401
from label_studio_sdk.converter import Converter  # noqa: E402,F401
from label_studio_sdk.label_interface import LabelInterface  # noqa: E402,F401

print("ok")
