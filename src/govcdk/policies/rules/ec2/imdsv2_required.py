"""GOV-EC2-004: instances require IMDSv2 (session tokens) with a hop limit of at most 2.

Source: RULES.md CMP-1; Amazon EC2 User Guide, "Configure the instance metadata options"
(``HttpTokens`` defaults to ``optional`` unless the AMI sets ``ImdsSupport: v2.0``;
``HttpEndpoint: disabled`` turns the service off). Launch templates
(``LaunchTemplateData.MetadataOptions``), launch configurations (``MetadataOptions``) and
instances (``MetadataOptions``, overriding the ``LaunchTemplate`` they name) are checked; an
instance without options inherits the result of its launch template when that launch template
is in the checked templates (this one, or another stack it imports from), is UNKNOWN when the
launch template is defined elsewhere, and FAILS when it has neither.
"""

from __future__ import annotations

from typing import Any

from ...helpers import (
    LAUNCH_TEMPLATE, as_int, describe, find_launch_template, from_launch_template,
    launch_template_data, literal)
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

MAX_HOP_LIMIT = 2
HOP_LIMIT_RANGE = (1, 64)
"""Values EC2 accepts for HttpPutResponseHopLimit (EC2 API Reference,
InstanceMetadataOptionsRequest)."""


def _options_results(options: Any, base: tuple[str | int, ...],
                     max_hops: int) -> list[CheckResult]:
    if options is None:
        return [CheckResult.failed(
            "no MetadataOptions: HttpTokens defaults to optional, so IMDSv1 stays enabled",
            base)]
    if isinstance(options, Unknown):
        return [CheckResult.unknown(f"MetadataOptions cannot be resolved: "
                                    f"{options.reason}", base)]
    if not isinstance(options, dict):
        return [CheckResult.unknown(f"MetadataOptions is {describe(options)}", base)]
    endpoint = literal(options.get("HttpEndpoint"), "HttpEndpoint")
    if isinstance(endpoint, Unknown):
        return [CheckResult.unknown(f"HttpEndpoint cannot be resolved: "
                                    f"{endpoint.reason}", base + ("HttpEndpoint",))]
    if endpoint == "disabled":
        return [CheckResult.passed("instance metadata service disabled",
                                   base + ("HttpEndpoint",))]
    out: list[CheckResult] = []
    tokens = literal(options.get("HttpTokens"), "HttpTokens")
    if isinstance(tokens, Unknown):
        out.append(CheckResult.unknown(f"HttpTokens cannot be resolved: "
                                       f"{tokens.reason}", base + ("HttpTokens",)))
    elif tokens != "required":
        shown = "not set (defaults to optional)" if tokens is None else describe(tokens)
        out.append(CheckResult.failed(f"HttpTokens is {shown}, not required: IMDSv1 "
                                      f"stays enabled", base + ("HttpTokens",)))
    hop_raw = options.get("HttpPutResponseHopLimit")
    if hop_raw is not None:
        hops = as_int(hop_raw)
        path = base + ("HttpPutResponseHopLimit",)
        if isinstance(hops, Unknown):
            out.append(CheckResult.unknown(f"HttpPutResponseHopLimit cannot be "
                                           f"resolved: {hops.reason}", path))
        elif hops is None:
            out.append(CheckResult.failed(f"HttpPutResponseHopLimit {describe(hop_raw)} is not "
                                          f"an integer", path))
        elif not HOP_LIMIT_RANGE[0] <= hops <= HOP_LIMIT_RANGE[1]:
            out.append(CheckResult.failed(
                f"HttpPutResponseHopLimit {hops} is not a valid hop limit "
                f"({HOP_LIMIT_RANGE[0]}..{HOP_LIMIT_RANGE[1]})", path))
        elif hops > max_hops:
            out.append(CheckResult.failed(f"HttpPutResponseHopLimit {hops} exceeds {max_hops}",
                                          path))
    return out or [CheckResult.passed("IMDSv2 required", base + ("HttpTokens",))]


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    max_hops = int(ctx.params.get("max_hop_limit", MAX_HOP_LIMIT))
    props = resource.properties
    if resource.type == LAUNCH_TEMPLATE:
        return _options_results(launch_template_data(resource, "MetadataOptions"),
                                ("Properties", "LaunchTemplateData", "MetadataOptions"), max_hops)
    if resource.type == "AWS::AutoScaling::LaunchConfiguration":
        return _options_results(props.get("MetadataOptions"), ("Properties", "MetadataOptions"),
                                max_hops)
    # AWS::EC2::Instance: its own MetadataOptions override the launch template's.
    own = props.get("MetadataOptions")
    own_path = ("Properties", "MetadataOptions")
    decisive = isinstance(own, dict) and (own.get("HttpTokens") is not None
                                          or own.get("HttpEndpoint") is not None)
    lt, reason = find_launch_template(ctx, props.get("LaunchTemplate"))
    if lt is None:
        if reason is None or decisive:
            return _options_results(own, own_path, max_hops)
        return [CheckResult.unknown(f"{reason}; IMDSv2 cannot be verified",
                                    ("Properties", "LaunchTemplate"))]
    inherited = launch_template_data(lt, "MetadataOptions")
    if own is None:
        return from_launch_template(_options_results(inherited, (), max_hops), lt, ctx)
    if not isinstance(own, dict):
        return _options_results(own, own_path, max_hops)
    if isinstance(inherited, Unknown):
        if decisive:
            return _options_results(own, own_path, max_hops)
        return from_launch_template(_options_results(inherited, (), max_hops), lt, ctx)
    merged = dict(inherited) if isinstance(inherited, dict) else {}
    merged.update(own)
    return _options_results(merged, own_path, max_hops)


RULE = Rule(
    id="GOV-EC2-004",
    backlog=("CMP-1",),
    name="imdsv2_required",
    title="EC2 instances, launch templates and launch configurations require IMDSv2 with a "
          "response hop limit of at most 2",
    scope="resource",
    resource_types=("AWS::EC2::LaunchTemplate", "AWS::EC2::Instance",
                    "AWS::AutoScaling::LaunchConfiguration"),
    controls=("AC-3", "CM-6", "CM-7"),
    severity=Severity.HIGH,
    rationale=(
        "IMDSv1 answers any request that reaches 169.254.169.254, so a server-side request "
        "forgery in a workload discloses the instance role's credentials. Requiring session "
        "tokens (IMDSv2) enforces access to those credentials (AC-3) as a secure "
        "configuration setting (CM-6, CM-7); a hop limit above 2 lets containers and forwarded "
        "traffic reach the service."),
    remediation=(
        "CDK: ec2.LaunchTemplate(self, 'Lt', require_imdsv2=True, http_put_response_hop_limit=2) "
        "or ec2.Instance(..., require_imdsv2=True). CloudFormation: "
        "AWS::EC2::LaunchTemplate LaunchTemplateData.MetadataOptions.HttpTokens: required "
        "(HttpPutResponseHopLimit <= 2), AWS::EC2::Instance MetadataOptions.HttpTokens: required "
        "or a LaunchTemplate that sets it, AWS::AutoScaling::LaunchConfiguration "
        "MetadataOptions.HttpTokens: required."),
    check=check,
    references=(
        "Amazon EC2 User Guide: Configure the instance metadata options; Use IMDSv2",
        "AWS CloudFormation User Guide: AWS::EC2::LaunchTemplate MetadataOptions, "
        "AWS::EC2::Instance MetadataOptions, AWS::AutoScaling::LaunchConfiguration "
        "MetadataOptions",
        "NIST SP 800-53 Rev 5: AC-3 Access Enforcement; CM-6 Configuration Settings; CM-7 Least "
        "Functionality",
    ),
    parameters={"max_hop_limit": MAX_HOP_LIMIT},
    equivalents={
        "checkov": ("CKV_AWS_79",),
        "guard": ("EC2_IMDSV2_CHECK",),
        "cdk-nag": ("NIST.800.53.R5-EC2IMDSv2Enabled",),
    },
)
