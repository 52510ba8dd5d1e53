"""GOV-CLOUDTRAIL-001: CloudTrail trails are logging, multi-Region and record global service events.

Source: RULES.md LOG-1; AWS CloudTrail User Guide, "Creating a trail" and "Receiving CloudTrail
log files from multiple Regions"; AWS CloudFormation User Guide, ``AWS::CloudTrail::Trail``
(``IsLogging`` is required; ``IsMultiRegionTrail`` defaults to false;
``IncludeGlobalServiceEvents`` defaults to true).
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, describe
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

# property -> (value when absent, why it matters)
REQUIRED = (
    ("IsLogging", None, "the trail records nothing while logging is stopped"),
    ("IsMultiRegionTrail", False,
     "a single-Region trail misses activity in the other GovCloud Region"),
    ("IncludeGlobalServiceEvents", True,
     "events of global services (IAM, STS) are not recorded"),
)


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    props = resource.properties
    results: list[CheckResult] = []
    for name, default, why in REQUIRED:
        path = ("Properties", name)
        raw = props.get(name)
        value = default if raw is None else as_bool(raw)
        if isinstance(value, Unknown):
            results.append(CheckResult.unknown(f"{name} cannot be resolved: {value.reason}",
                                               path))
        elif value is not True:
            if raw is None:
                shown = "not set" if default is None else f"not set (defaults to " \
                                                          f"{describe(default)})"
            else:
                shown = f"is {describe(raw)}"
            results.append(CheckResult.failed(f"{name} {shown}: {why}", path))
    if results:
        return results
    return CheckResult.passed("the trail is logging, multi-Region, and records global service "
                              "events", ("Properties", "IsMultiRegionTrail"))


RULE = Rule(
    id="GOV-CLOUDTRAIL-001",
    backlog=("LOG-1",),
    name="trail_multi_region_logging",
    title="CloudTrail trails are logging, cover every Region and record global service events",
    scope="resource",
    resource_types=("AWS::CloudTrail::Trail",),
    controls=("AU-2", "AU-3", "AU-12", "SI-4"),
    severity=Severity.HIGH,
    rationale=(
        "CloudTrail is the account's record of API activity: the events AU-2 selects, with the "
        "content AU-3 requires, generated as AU-12 demands and monitored under SI-4. A trail "
        "that is stopped, covers one Region only, or leaves out global service events (IAM, "
        "STS) leaves privileged activity unrecorded; in GovCloud both us-gov-west-1 and "
        "us-gov-east-1 must be covered."),
    remediation=(
        "CDK: cloudtrail.Trail(self, 'Trail', is_multi_region_trail=True, "
        "include_global_service_events=True) (the L2 trail is logging). CloudFormation: "
        "AWS::CloudTrail::Trail IsLogging: true, IsMultiRegionTrail: true and "
        "IncludeGlobalServiceEvents: true (or unset)."),
    check=check,
    references=(
        "AWS CloudTrail User Guide: Receiving CloudTrail log files from multiple Regions",
        "AWS CloudTrail User Guide: Understanding global service events",
        "AWS CloudFormation User Guide: AWS::CloudTrail::Trail IsLogging, IsMultiRegionTrail, "
        "IncludeGlobalServiceEvents",
        "NIST SP 800-53 Rev 5: AU-2 Event Logging; AU-3 Content of Audit Records; AU-12 Audit "
        "Record Generation; SI-4 System Monitoring",
    ),
    equivalents={
        "checkov": ("CKV_AWS_67",),
        "guard": ("MULTI_REGION_CLOUD_TRAIL_ENABLED",),
        "cdk-nag": (),
    },
)
