"""CITATION.cff: valid against the Citation File Format 1.2.0 schema, and its version and release date are
parity's (so a citation never names a version that is not the one cited)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

import parity

ROOT = Path(__file__).parents[1]
SCHEMA = json.loads((Path(__file__).parent / "fixtures/cff-schema-1.2.0.json").read_text(encoding="utf-8"))


def _strings(value: Any) -> Any:
    """YAML dates as the strings the schema expects (its own note to tool implementers says to cast them)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    return value


def _citation() -> dict[str, Any]:
    loaded: dict[str, Any] = _strings(yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8")))
    return loaded


def test_citation_cff_is_valid_citation_file_format() -> None:
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(_citation())


def test_the_schema_refuses_what_it_must() -> None:
    validator = jsonschema.Draft7Validator(SCHEMA)
    broken = {k: v for k, v in _citation().items() if k != "authors"}
    assert not validator.is_valid(broken)  # authors are required
    assert not validator.is_valid({**_citation(), "license": "Apache 2"})  # an SPDX id, or nothing


def test_citation_names_this_version_and_its_release() -> None:
    cff = _citation()
    assert cff["version"] == parity.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.search(
        rf"^## \[{re.escape(parity.__version__)}\] - (\d{{4}}-\d{{2}}-\d{{2}})", changelog, re.M
    )
    assert released and cff["date-released"] == released.group(1)
