"""GOV-S3-005 is a FedRAMP High rule: its primary control is High-only, and with parameter
``require_replication`` false every bucket is NOT_APPLICABLE with a message saying why."""

from __future__ import annotations

import dataclasses

from govcdk.policies import Status, check, load_rules

from .helpers import FIXTURES

RULE = next(r for r in load_rules() if r.id == "GOV-S3-005")
FIXTURE = FIXTURES / "s3" / "bucket_replication" / "literals.yaml"


def test_primary_control_is_high_only() -> None:
    assert RULE.controls[0] == "AU-9(2)"
    assert RULE.parameters["require_replication"] is True


def test_not_required_makes_every_bucket_not_applicable() -> None:
    relaxed = dataclasses.replace(RULE, parameters={**RULE.parameters, "require_replication": False})
    report = check([FIXTURE], rules=[relaxed])
    buckets = [f for f in report.findings if f.resource_type == "AWS::S3::Bucket"]
    assert buckets and all(f.status == Status.NOT_APPLICABLE for f in buckets)
    assert all("FedRAMP High" in f.message for f in buckets)
    default = check([FIXTURE], rules=[RULE])
    failing = {f.logical_id for f in default.findings if f.status == Status.FAIL}
    assert "FailTrailBucketNotReplicated" in failing
