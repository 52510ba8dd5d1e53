"""GOV-GOVCLOUD-002: the stack targets an AWS GovCloud (US) Region, and the ARNs its resources
name agree with it: GovCloud partition, GovCloud Regions.

Source: RULES.md GOV-2; AWS GovCloud (US) User Guide, "AWS GovCloud (US) Regions" (us-gov-west-1,
us-gov-east-1) and "Amazon Resource Names (ARNs) in AWS GovCloud (US) Regions" (partition
``aws-us-gov``; ARN format ``arn:partition:service:region:account-id:resource``).

Template scope (``check(ctx)`` returns ``{logical_id: results}``):

- ``""`` (the template): the stack's target Region (``ctx.region``: the cloud assembly's, or
  ``--region``, else us-gov-west-1) is us-gov-west-1 or us-gov-east-1, else FAIL;
- each resource whose resolved properties hold an ARN (``arn:`` anywhere in a string, so ARNs
  inside JSON-string policies and ``Fn::Sub`` text are seen): FAIL per ARN whose partition is
  not ``aws-us-gov``, or whose Region field names a Region (``us-east-1``) that is not a
  GovCloud Region; an empty, wildcard or placeholder Region field is not judged. Values are
  resolved for the target Region, so ``${AWS::Partition}``/``${AWS::Region}`` agree by
  construction. Resources without ARNs are not reported.

The account field is not judged: ARNs of other accounts are legitimate (log delivery, shared
services). GOV-GOVCLOUD-001 reports hard-coded commercial partitions as written; this rule
reports what the resolved values name, Region included.
"""

from __future__ import annotations

import re
from typing import Any

from ....govcloud import PARTITION as GOV_PARTITION
from ....govcloud import REGIONS
from ...model import CheckResult, Rule, Severity

_ARN = re.compile(r"arn:([A-Za-z0-9-]*):([A-Za-z0-9-]*):([^:\s\"',]*):")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")


def _strings(node: Any, path: tuple[str | int, ...], out: list[tuple[tuple[str | int, ...], str]]
             ) -> None:
    if isinstance(node, str):
        out.append((path, node))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _strings(item, path + (i,), out)
    elif isinstance(node, dict):
        for key, value in node.items():
            _strings(value, path + (str(key),), out)


def _snippet(text: str, start: int) -> str:
    end = re.compile(r"[\s\"',]").search(text, start)
    found = text[start:end.start() if end else len(text)]
    return found if len(found) <= 90 else found[:87] + "..."


def _resource(resource: Any) -> list[CheckResult]:
    strings: list[tuple[tuple[str | int, ...], str]] = []
    _strings(resource.properties, ("Properties",), strings)
    results: list[CheckResult] = []
    arns = 0
    for path, text in strings:
        for m in _ARN.finditer(text):
            arns += 1
            partition, service, region = m.group(1), m.group(2), m.group(3)
            arn = _snippet(text, m.start())
            if partition != GOV_PARTITION:
                results.append(CheckResult.failed(
                    f"ARN {arn} names partition {partition or '(empty)'}, not {GOV_PARTITION}",
                    path))
            elif _REGION.match(region) and region not in REGIONS:
                results.append(CheckResult.failed(
                    f"ARN {arn} names Region {region}, which is not an AWS GovCloud (US) Region "
                    f"({', '.join(REGIONS)})", path))
    if results:
        return results
    if arns:
        return [CheckResult.passed(f"{arns} ARN(s), all in partition {GOV_PARTITION} and "
                                   f"GovCloud Regions")]
    return []


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    region = ctx.region
    out: dict[str, list[CheckResult]] = {}
    if region in REGIONS:
        out[""] = [CheckResult.passed(f"stack targets {region}")]
    else:
        out[""] = [CheckResult.failed(f"stack targets {region}, which is not an AWS GovCloud (US) "
                                      f"Region ({', '.join(REGIONS)})")]
    # A resource's verdict depends on its resolved properties only. Variants of a template
    # share the resolved properties of the resources their assumptions do not reach, so each
    # mapping is judged once per run (keyed by identity; the entry holds the mapping).
    seen = ctx.cache.setdefault((__name__, "judged"), {})
    for resource in ctx.resources():
        props = resource.properties
        entry = seen.get(id(props))
        if entry is None or entry[0] is not props:
            entry = seen[id(props)] = (props, _resource(resource))
        if entry[1]:
            out[resource.logical_id] = list(entry[1])
    return out


RULE = Rule(
    id="GOV-GOVCLOUD-002",
    backlog=("GOV-2",),
    name="target_region",
    title="Stacks target an AWS GovCloud (US) Region and their ARNs name the aws-us-gov "
          "partition and GovCloud Regions",
    scope="template",
    resource_types=("*",),
    controls=("SA-9(5)", "CM-2"),
    severity=Severity.HIGH,
    rationale=(
        "FedRAMP High workloads authorized in AWS GovCloud (US) must process and store data in "
        "the GovCloud Regions (SA-9(5), location of processing and storage). A stack aimed at a "
        "commercial Region, or an ARN naming a commercial partition or Region, sends data or "
        "permissions outside the authorization boundary, and the deployed configuration "
        "differs from the documented baseline (CM-2)."),
    remediation=(
        "CDK: Stack(env=Environment(account=..., region='us-gov-west-1')) (govcdk stacks check "
        "it) and Stack.of(self).format_arn(...) instead of string ARNs. CloudFormation: deploy "
        "to us-gov-west-1 or us-gov-east-1 and build ARNs with !Sub 'arn:${AWS::Partition}:"
        "service:${AWS::Region}:${AWS::AccountId}:...'."),
    check=check,
    references=(
        "AWS GovCloud (US) User Guide: AWS GovCloud (US) Regions",
        "AWS GovCloud (US) User Guide: Amazon Resource Names (ARNs) in AWS GovCloud (US) "
        "Regions",
        "NIST SP 800-53 Rev 5: SA-9(5) External System Services | Processing, Storage, and "
        "Service Location; CM-2 Baseline Configuration",
    ),
)
