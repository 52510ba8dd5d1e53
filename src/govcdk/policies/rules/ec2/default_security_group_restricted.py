"""GOV-EC2-008: the default security group of every VPC the template creates is stripped of
its rules.

Source: RULES.md NET-5; Amazon VPC User Guide, "Default security groups for your VPCs" (a VPC's
default group allows all traffic among its members and all outbound traffic, and cannot be
deleted); AWS CDK API Reference, ``aws_ec2.Vpc`` ``restrict_default_security_group`` and
feature flag ``@aws-cdk/aws-ec2:restrictDefaultSecurityGroup`` (a ``Custom::VpcRestrictDefaultSG``
custom resource that revokes the default group's ingress and egress rules).

CloudFormation has no property that edits a default security group, so the join is to the
custom resource: a ``Custom::VpcRestrictDefaultSG`` of the checked templates whose
``DefaultSecurityGroupId`` is ``Fn::GetAtt <vpc>.DefaultSecurityGroup`` PASSES the VPC. Any
other custom resource (``Custom::*``, ``AWS::CloudFormation::CustomResource``) handed that
attribute may be an equivalent, but what it does cannot be read from the template: UNKNOWN.
A restricting custom resource whose ``Condition`` cannot be evaluated is UNKNOWN. Otherwise the
VPC FAILS.
"""

from __future__ import annotations

from typing import Any

from ...helpers import refs_in
from ...model import CheckResult, Rule, Severity
from ...resolver import AttrRef

CDK_RESTRICT_TYPE = "Custom::VpcRestrictDefaultSG"
_ATTRIBUTE = "DefaultSecurityGroup"


def _custom(rtype: str) -> bool:
    return rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource"


def _default_groups(res: Any) -> set[tuple[str, str]]:
    """The (stack, logical id) of every VPC whose ``DefaultSecurityGroup`` a custom resource
    is handed (a ``Custom::VpcRestrictDefaultSG`` in its ``DefaultSecurityGroupId`` only)."""
    value = res.properties.get("DefaultSecurityGroupId") if res.type == CDK_RESTRICT_TYPE \
        else res.properties
    out: set[tuple[str, str]] = set()
    _collect(value, res.stack, out)
    return out


def _collect(value: Any, owner: str, out: set[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _collect(v, owner, out)
    elif isinstance(value, list):
        for v in value:
            _collect(v, owner, out)
    else:
        out.update((r.stack or owner, r.logical_id) for r in refs_in(value)
                   if isinstance(r, AttrRef) and r.attribute == _ATTRIBUTE)


def _customs(ctx: Any) -> list[tuple[Any, set[tuple[str, str]]]]:
    """This template's custom resources, then the other templates' that are handed one of
    this template's VPCs' default security group (what ``run_resources`` of the custom
    types gives, less those that name no VPC here), each with the VPCs it names. The other
    templates' are indexed once per run (``ctx.cache``)."""
    key = (__name__, "customs")
    index = ctx.cache.get(key)
    if index is None:
        types = sorted(t for t in ctx.run_types() if _custom(t))
        index = ctx.cache[key] = [(res, _default_groups(res))
                                  for res in (ctx.base_run_resources(*types) if types else [])]
    mine = [(res, _default_groups(res)) for res in ctx.resources()
            if _custom(res.type)]
    return mine + [(res, named) for res, named in index
                   if res.stack != ctx.stack and any(s == ctx.stack for s, _ in named)]


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    customs = _customs(ctx)
    out: dict[str, list[CheckResult]] = {}
    for vpc in ctx.resources("AWS::EC2::VPC"):
        key = (ctx.stack, vpc.logical_id)
        restricting: list[Any] = []
        other: list[str] = []
        for res, named in customs:
            if key not in named:
                continue
            name = res.logical_id if res.stack == ctx.stack else \
                f"{res.logical_id} (stack {res.stack})"
            if res.type == CDK_RESTRICT_TYPE:
                restricting.append(res)
            else:
                other.append(f"{name} ({res.type})")
        certain = [r for r in restricting if r.condition is not None]
        if certain:
            res = certain[0]
            out[vpc.logical_id] = [CheckResult.passed(
                f"{CDK_RESTRICT_TYPE} {res.logical_id} strips the rules of the VPC's default "
                f"security group")]
        elif restricting:
            res = restricting[0]
            out[vpc.logical_id] = [CheckResult.unknown(
                f"{CDK_RESTRICT_TYPE} {res.logical_id} exists only if Condition "
                f"{res.raw.get('Condition')} holds, which cannot be evaluated")]
        elif other:
            out[vpc.logical_id] = [CheckResult.unknown(
                f"the default security group is handed to custom resource(s) "
                f"{', '.join(sorted(other))}: whether they strip its rules cannot be read from "
                f"the template")]
        else:
            out[vpc.logical_id] = [CheckResult.failed(
                f"the VPC's default security group keeps its allow-all rules: no "
                f"{CDK_RESTRICT_TYPE} custom resource receives Fn::GetAtt "
                f"{vpc.logical_id}.{_ATTRIBUTE} (CDK feature flag "
                f"@aws-cdk/aws-ec2:restrictDefaultSecurityGroup)")]
    return out


RULE = Rule(
    id="GOV-EC2-008",
    backlog=("NET-5",),
    name="default_security_group_restricted",
    title="The default security group of every VPC allows no inbound or outbound traffic",
    scope="template",
    resource_types=("AWS::EC2::VPC",),
    controls=("AC-4", "SC-7"),
    severity=Severity.MEDIUM,
    rationale=(
        "Every VPC gets a default security group that allows all traffic among its members and "
        "all outbound traffic. Any resource launched without an explicit group lands in it, "
        "silently bypassing the flow rules that information flow enforcement (AC-4) and "
        "boundary protection (SC-7) rely on; stripping its rules makes that mistake fail "
        "closed."),
    remediation=(
        "CDK: set the feature flag \"@aws-cdk/aws-ec2:restrictDefaultSecurityGroup\": true in "
        "cdk.json (the default for new projects) or ec2.Vpc(..., "
        "restrict_default_security_group=True). CloudFormation: a custom resource that revokes "
        "the ingress and egress rules of Fn::GetAtt <Vpc>.DefaultSecurityGroup (what CDK "
        "writes as Custom::VpcRestrictDefaultSG), or revoke them after deployment and record "
        "the exception."),
    check=check,
    references=(
        "Amazon VPC User Guide: Default security groups for your VPCs",
        "AWS CDK API Reference: aws_ec2.Vpc restrictDefaultSecurityGroup; feature flag "
        "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup",
        "AWS CloudFormation User Guide: AWS::EC2::VPC return values (DefaultSecurityGroup)",
        "NIST SP 800-53 Rev 5: AC-4 Information Flow Enforcement; SC-7 Boundary Protection",
    ),
    equivalents={
        "checkov": (),
        "guard": ("VPC_DEFAULT_SECURITY_GROUP_CLOSED",),
        "cdk-nag": ("NIST.800.53.R5-VPCDefaultSecurityGroupClosed",),
    },
)
