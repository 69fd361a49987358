"""A report written as JSON and read back is the report that wrote it (so a saved report can be compared)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from agreement import write_dataset
from helpers import WORLD
from hypothesis import HealthCheck, given, settings
from strategies import DataSet, datasets

import parity
from parity.report import Report


def _report(ds: DataSet) -> parity.Report:
    with tempfile.TemporaryDirectory() as d:
        waivers = write_dataset(ds, Path(d))
        data = parity.load(profiles=Path(d) / "lab_profiles", rules=Path(d) / "rules", waivers=waivers)
        return parity.evaluate(data, as_of=ds.as_of)


@settings(
    max_examples=int(os.environ.get("PARITY_PROPERTY_EXAMPLES", "200")) // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ds=datasets())
def test_a_report_read_back_from_json_equals_the_report(ds: DataSet) -> None:
    report = _report(ds)
    written = json.loads(parity.render(report, "json"))
    assert written == report.to_dict()  # the streamed JSON and the plain data are the same document
    assert Report.from_dict(written) == report


def test_the_world_report_round_trips_with_its_waivers_and_dates() -> None:
    data = parity.load(WORLD / "lab_profiles", WORLD / "rules", WORLD / "waivers.yaml")
    import datetime as dt

    report = parity.evaluate(data, as_of=dt.date(2026, 6, 30))  # a waiver active, dates as values and bars
    back = Report.from_dict(json.loads(parity.render(report, "json")))
    assert back == report
    assert any(v.status == "waived" for v in back.verdicts)
    assert any(isinstance(v.value, dt.date) for v in back.verdicts)
    assert back.rules["security-median"].checks == "weight_security_level: median"


@pytest.mark.parametrize("doc", [{}, {"schema": "other/v1"}, {"schema": "parity/report/v1"}])
def test_a_document_that_is_not_a_report_is_refused(doc: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a parity report"):
        Report.from_dict(doc)
