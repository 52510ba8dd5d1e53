"""GOV-GOVCLOUD-003: resource types and EC2 instance types are offered in the target GovCloud
Region.

Source: RULES.md GOV-3; AWS GovCloud (US) User Guide, "Services in AWS GovCloud (US) Regions"
(services and features differ between us-gov-west-1 and us-gov-east-1 and from commercial
Regions); Amazon EC2 User Guide, "Find an Amazon EC2 instance type" (offerings per Region).
Availability data: cfn-lint's per-Region CloudFormation registry schemas and instance-type
enums, through :func:`govcdk.govcloud.resource_types` and :func:`govcdk.govcloud.instance_types`
(they follow the installed cfn-lint release).

Resource scope on every type, for the target Region (``ctx.region``):

- the resource type must be in the Region's registry (FAIL otherwise). ``Custom::*`` resources
  (backed by the template's own Lambda function or SNS topic), ``AWS::CloudFormation::*``
  types (handled by CloudFormation itself), ``AWS::Serverless::*`` (AWS SAM types, which the
  ``AWS::Serverless-2016-10-31`` transform expands; the engine does not) and types outside the ``AWS::`` namespace (private
  or third-party registry types, registered per account) are NOT_APPLICABLE;
- the EC2 instance type of ``AWS::EC2::Instance`` ``InstanceType``,
  ``AWS::EC2::LaunchTemplate`` ``LaunchTemplateData.InstanceType`` and
  ``AWS::AutoScaling::LaunchConfiguration`` ``InstanceType`` must be offered in the Region
  (FAIL otherwise, UNKNOWN when unresolved; not judged when absent).

A Region for which cfn-lint has no data gives UNKNOWN.
"""

from __future__ import annotations

from typing import Any

from ....govcloud import RegionError, instance_types, resource_types
from ...helpers import describe, launch_template_data, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

_INSTANCE_TYPE_PATHS = {
    "AWS::EC2::Instance": ("Properties", "InstanceType"),
    "AWS::AutoScaling::LaunchConfiguration": ("Properties", "InstanceType"),
    "AWS::EC2::LaunchTemplate": ("Properties", "LaunchTemplateData", "InstanceType"),
}


def _instance_type(resource: Any, region: str) -> CheckResult | None:
    path = _INSTANCE_TYPE_PATHS.get(resource.type)
    if path is None:
        return None
    if resource.type == "AWS::EC2::LaunchTemplate":
        value = launch_template_data(resource, "InstanceType")
    else:
        value = resource.properties.get("InstanceType")
    if value is None:
        return None
    value = literal(value, "InstanceType")
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"InstanceType cannot be resolved: {value.reason}", path)
    try:
        offered = instance_types(region)
    except RegionError as exc:
        return CheckResult.unknown(str(exc), path)
    if not isinstance(value, str) or value not in offered:
        return CheckResult.failed(f"instance type {describe(value)} is not offered in {region}",
                                  path)
    return CheckResult.passed(f"instance type {value} is offered in {region}", path)


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    rtype = resource.type
    region = ctx.region
    if rtype.startswith("Custom::") or rtype.startswith("AWS::CloudFormation::"):
        return CheckResult.not_applicable(f"{rtype} is handled by CloudFormation or the "
                                          f"template's own custom resource provider")
    if rtype.startswith("AWS::Serverless::"):
        return CheckResult.not_applicable(f"{rtype} is an AWS SAM type: the "
                                          f"AWS::Serverless-2016-10-31 transform turns it into "
                                          f"registry types (not expanded here)")
    if not rtype.startswith("AWS::"):
        return CheckResult.not_applicable(f"{rtype} is a private or third-party registry type "
                                          f"(registered per account)")
    try:
        types = resource_types(region)
    except (OSError, ValueError, KeyError):
        return CheckResult.unknown(f"cfn-lint has no resource-type data for Region {region}")
    if rtype not in types:
        return CheckResult.failed(f"resource type {rtype} is not available in {region}")
    results = [CheckResult.passed(f"{rtype} is available in {region}")]
    it = _instance_type(resource, region)
    if it is not None:
        if it.status.failing:
            return it
        results = [it]
    return results


RULE = Rule(
    id="GOV-GOVCLOUD-003",
    backlog=("GOV-3",),
    name="region_availability",
    title="Resource types and EC2 instance types are offered in the target GovCloud Region",
    scope="resource",
    resource_types=("*",),
    controls=("SA-9", "CM-7"),
    severity=Severity.MEDIUM,
    rationale=(
        "GovCloud Regions offer a subset of AWS services and instance types, and us-gov-east-1 "
        "fewer than us-gov-west-1. A template that names an unavailable type fails to deploy, "
        "or pushes teams toward a commercial-Region workaround outside the authorization "
        "boundary (SA-9 external services); declaring only what the Region offers keeps the "
        "system to its authorized functions (CM-7)."),
    remediation=(
        "CDK: pick instance types from govcdk.govcloud.instance_types(region) and constructs "
        "whose services are in the GovCloud service list; check both Regions for High "
        "replication. CloudFormation: replace the resource type or InstanceType with one "
        "offered in the target Region (AWS GovCloud (US) User Guide, Services in AWS GovCloud "
        "(US) Regions)."),
    check=check,
    references=(
        "AWS GovCloud (US) User Guide: Services in AWS GovCloud (US) Regions",
        "Amazon EC2 User Guide: Find an Amazon EC2 instance type (offerings by Region)",
        "cfn-lint rules E3006 (resource type availability) and E3030 (allowed values): "
        "per-Region data",
        "NIST SP 800-53 Rev 5: SA-9 External System Services; CM-7 Least Functionality",
    ),
    equivalents={"cfn-lint": ("E3006",)},
)
