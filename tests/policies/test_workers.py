"""Templates shared out among forked worker processes (``GOVCDK_WORKERS``,
:func:`govcdk.policies.engine._workers`) give the same report as one process: same findings,
messages and order, template infos, unused suppressions. Speed is measured by ``make bench``,
not here."""

from __future__ import annotations

import datetime
import json

import pytest

from govcdk.policies import engine, load_targets
from govcdk.policies.errors import InputError
from govcdk.policies.reporters.json_report import to_json
from tests_support import corpus_templates, require_shared

TODAY = datetime.date(2026, 1, 15)


def _report(monkeypatch, templates, workers: str) -> str:
    monkeypatch.setenv(engine.WORKERS_ENV, workers)
    report = engine.check_templates(templates, engine.load_rules(), today=TODAY)
    return to_json(report)


def test_forked_workers_give_the_serial_report(monkeypatch):
    require_shared()
    # every third corpus template: cross-stack joins (buckets, VPCs, exports), conditions,
    # AllowedValues variants, suppressions and refused files among them
    paths = corpus_templates()[::3]
    templates = load_targets(paths, problems=[])
    assert len(templates) > 100
    serial = _report(monkeypatch, templates, "1")
    forked = _report(monkeypatch, templates, "2")
    assert json.loads(serial)["findings"], "the sample has findings"
    assert forked == serial


def test_cross_stack_join_in_a_forked_run(monkeypatch, tmp_path):
    # the trail of stack B sends its logs to the bucket of stack A (by literal name): A's
    # bucket is an audit-log destination whichever process checks it
    bucket = {"Resources": {"Logs": {"Type": "AWS::S3::Bucket",
                                     "Properties": {"BucketName": "central-audit-logs"}}}}
    trail = {"Resources": {"Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {
        "IsLogging": True, "S3BucketName": "central-audit-logs"}}}}
    paths = []
    for i in range(6):
        for name, body in (("a", bucket), ("b", trail)):
            path = tmp_path / f"{name}{i}.json"
            path.write_text(json.dumps(body), encoding="utf-8")
            paths.append(path)
    templates = load_targets(paths, problems=[])
    serial = _report(monkeypatch, templates, "1")
    forked = _report(monkeypatch, templates, "2")
    assert forked == serial
    retention = [f for f in json.loads(forked)["findings"]
                 if f["rule_id"] == "GOV-S3-002" and f["logical_id"] == "Logs"]
    assert len(retention) == 6
    # no Object Lock on a CloudTrail destination: FAIL in every copy of stack A
    assert {f["status"] for f in retention} == {"FAIL"}


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_bad_worker_count_is_an_input_error(monkeypatch, value):
    monkeypatch.setenv(engine.WORKERS_ENV, value)
    with pytest.raises(InputError, match=engine.WORKERS_ENV):
        engine._workers(100)


def test_worker_count(monkeypatch):
    monkeypatch.setenv(engine.WORKERS_ENV, "1")
    assert engine._workers(1000) == 1
    monkeypatch.setenv(engine.WORKERS_ENV, "3")
    assert engine._workers(1000) == 3
    assert engine._workers(2) == 2          # never more workers than templates
    monkeypatch.delenv(engine.WORKERS_ENV)
    # a few templates are checked in this process: a worker would cost more than it saves
    assert engine._workers(engine.MIN_TEMPLATES_PER_WORKER - 1) == 1
