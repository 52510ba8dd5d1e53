"""GOV-EC2-009: VPC endpoints resolve privately and carry a policy narrower than full access.

Source: RULES.md NET-6; AWS PrivateLink Guide, "Control access to VPC endpoints using
endpoint policies" (an endpoint without a policy gets the default policy, which allows full
access through the endpoint; not every service supports endpoint policies) and "Access an AWS
service using an interface VPC endpoint" (private DNS); AWS CloudFormation User Guide,
``AWS::EC2::VPCEndpoint`` (``VpcEndpointType`` defaults to ``Gateway``; ``PrivateDnsEnabled``
defaults to false).

- ``Interface`` endpoints: ``PrivateDnsEnabled`` must be true, else clients keep resolving the
  service's public name and bypass the endpoint.
- ``Interface`` and ``Gateway`` (S3, DynamoDB) endpoints: a ``PolicyDocument`` (a mapping or a
  JSON string) must be present, and no ``Allow`` statement may grant every principal
  (``"*"``, ``{"AWS": "*"}``) every action (``"*"`` or ``NotAction``) on every resource
  (``"*"`` or ``NotResource``) unless its ``Condition`` pins the caller or the resource to the
  organization or account: one of :data:`RESTRICTING_KEYS` under a positive string or ARN
  operator whose values are not ``"*"``. An absent policy is full access and FAILS; since some
  GovCloud endpoint services do not accept policies, the remediation is to add one where the
  service supports it (and acknowledge the finding where it does not).
- ``GatewayLoadBalancer``, ``Resource`` and ``ServiceNetwork`` endpoints take neither setting:
  NOT_APPLICABLE.

Not checked here: whether the endpoints a private workload needs exist (NET-6's first half).
"""

from __future__ import annotations

from typing import Any

from ...helpers import bool_setting, describe, literal
from ...iam_documents import document_mapping
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

RESTRICTING_KEYS = frozenset({
    "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:principalarn",
    "aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths", "aws:sourceaccount",
})
"""Global condition keys (IAM User Guide, "AWS global condition context keys") that limit an
endpoint policy to the organization's or account's principals or resources (compared in
lower case)."""
_POSITIVE_OPERATORS = frozenset({
    "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
})
_NOT_APPLICABLE_TYPES = ("GatewayLoadBalancer", "Resource", "ServiceNetwork")


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _any_principal(principal: Any) -> bool | Unknown:
    if isinstance(principal, Unknown):
        return principal
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        if isinstance(aws, Unknown):
            return aws
        return any(p == "*" for p in _items(aws))
    return False


def _wildcard(statement: dict[str, Any], key: str, negated: str) -> bool | Unknown:
    if negated in statement:
        return True
    value = statement.get(key)
    if isinstance(value, Unknown):
        return value
    return any(isinstance(v, str) and v.strip() == "*" for v in _items(value))


def _restricting(condition: Any) -> bool | Unknown:
    if isinstance(condition, Unknown):
        return condition
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        op = str(operator).split(":")[-1].lower().removesuffix("ifexists")
        if op not in _POSITIVE_OPERATORS or not isinstance(block, dict):
            continue
        for key, values in block.items():
            if str(key).lower() not in RESTRICTING_KEYS:
                continue
            if isinstance(values, Unknown):
                return values
            if all(isinstance(v, str) and v.strip() not in ("", "*") for v in _items(values)):
                return True
    return False


def _policy_results(policy: Any, path: tuple[str | int, ...]) -> list[CheckResult]:
    policy = document_mapping(policy, path)     # a JSON string, parsed (opaque parts too)
    if isinstance(policy, CheckResult):
        return [policy]
    if isinstance(policy, Unknown):
        return [CheckResult.unknown(f"PolicyDocument cannot be resolved: {policy.reason}", path)]
    if not isinstance(policy, dict):
        return [CheckResult.unknown(f"PolicyDocument is {describe(policy)}, not a policy", path)]
    statements = policy.get("Statement")
    if isinstance(statements, Unknown):
        return [CheckResult.unknown(f"PolicyDocument Statement cannot be resolved: "
                                    f"{statements.reason}", path + ("Statement",))]
    out: list[CheckResult] = []
    for i, st in enumerate(_items(statements)):
        spath = path + ("Statement", i) if isinstance(statements, list) else path + ("Statement",)
        if isinstance(st, Unknown):
            out.append(CheckResult.unknown(f"statement cannot be resolved: {st.reason}", spath))
            continue
        if not isinstance(st, dict):
            continue
        effect = literal(st.get("Effect"), "Effect")
        if isinstance(effect, Unknown):
            out.append(CheckResult.unknown(f"Effect cannot be resolved: {effect.reason}", spath))
            continue
        if effect != "Allow":
            continue
        parts = [_any_principal(st.get("Principal")), _wildcard(st, "Action", "NotAction"),
                 _wildcard(st, "Resource", "NotResource")]
        if any(p is False for p in parts):
            continue
        unknown = next((p for p in parts if isinstance(p, Unknown)), None)
        if unknown is not None:
            out.append(CheckResult.unknown(f"statement {i} Principal, Action or Resource cannot be "
                                           f"resolved: {unknown.reason}", spath))
            continue
        limited = _restricting(st.get("Condition"))
        if isinstance(limited, Unknown):
            out.append(CheckResult.unknown(f"statement {i} Condition cannot be resolved: "
                                           f"{limited.reason}", spath + ("Condition",)))
        elif not limited:
            sid = f" ({st['Sid']})" if isinstance(st.get("Sid"), str) else ""
            out.append(CheckResult.failed(
                f"statement {i}{sid} allows every principal every action on every resource "
                f"without a condition on aws:PrincipalAccount, aws:PrincipalOrgID, "
                f"aws:ResourceAccount or the like: full access through the endpoint", spath))
    return out


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    etype = literal(props.get("VpcEndpointType", "Gateway"), "VpcEndpointType")
    if isinstance(etype, Unknown):
        return [CheckResult.unknown(f"VpcEndpointType cannot be resolved: {etype.reason}",
                                    ("Properties", "VpcEndpointType"))]
    if etype in _NOT_APPLICABLE_TYPES:
        return [CheckResult.not_applicable(f"{etype} endpoints take no endpoint policy or private "
                                           f"DNS setting")]
    out: list[CheckResult] = []
    if etype == "Interface":
        path = ("Properties", "PrivateDnsEnabled")
        dns = bool_setting(props.get("PrivateDnsEnabled"), "PrivateDnsEnabled", path)
        if isinstance(dns, CheckResult):
            out.append(dns)
        elif not dns:
            shown = "not set (defaults to false)" if dns is None else "false"
            out.append(CheckResult.failed(
                f"PrivateDnsEnabled is {shown}: clients resolve the service's public endpoint "
                f"name and bypass the interface endpoint", path))
    path = ("Properties", "PolicyDocument")
    policy = props.get("PolicyDocument")
    if policy is None:
        out.append(CheckResult.failed(
            f"no PolicyDocument: the {etype} endpoint gets the default policy, full access for "
            f"every principal to every resource of the service (not every GovCloud endpoint "
            f"service supports endpoint policies: add one where the service supports it)", path))
    else:
        out.extend(_policy_results(policy, path))
    return out or [CheckResult.passed(
        f"{etype} endpoint" + (" with private DNS" if etype == "Interface" else "")
        + "; its policy grants no unconditioned full access", path)]


RULE = Rule(
    id="GOV-EC2-009",
    backlog=("NET-6",),
    name="vpc_endpoint_policy",
    title="Interface VPC endpoints enable private DNS and VPC endpoints carry a policy that is "
          "not unconditioned full access",
    scope="resource",
    resource_types=("AWS::EC2::VPCEndpoint",),
    controls=("SC-7", "SC-7(4)", "AC-4"),
    severity=Severity.MEDIUM,
    rationale=(
        "VPC endpoints are the managed interfaces through which an isolated workload reaches "
        "AWS services (SC-7, SC-7(4)). Without private DNS, clients resolve public names and "
        "leave the boundary; with the default full-access policy, any credential (a stolen one "
        "from another account included) can move data out through the endpoint, defeating the "
        "information flow enforcement of AC-4."),
    remediation=(
        "CDK: vpc.add_interface_endpoint(..., private_dns_enabled=True) and "
        "endpoint.add_to_policy(iam.PolicyStatement(principals=[iam.AnyPrincipal()], "
        "actions=[...], resources=[...], conditions={'StringEquals': {'aws:PrincipalAccount': "
        "Aws.ACCOUNT_ID}})) on every interface and gateway endpoint whose service supports "
        "policies. CloudFormation: AWS::EC2::VPCEndpoint PrivateDnsEnabled: true (Interface) and "
        "PolicyDocument whose Allow statements name principals, actions or resources, or carry "
        "an aws:PrincipalAccount / aws:PrincipalOrgID / aws:ResourceAccount condition."),
    check=check,
    references=(
        "AWS PrivateLink Guide: Control access to VPC endpoints using endpoint policies; "
        "AWS services that integrate with AWS PrivateLink",
        "AWS CloudFormation User Guide: AWS::EC2::VPCEndpoint",
        "IAM User Guide: AWS global condition context keys",
        "NIST SP 800-53 Rev 5: SC-7 Boundary Protection; SC-7(4) External Telecommunications "
        "Services; AC-4 Information Flow Enforcement",
    ),
    equivalents={"checkov": (), "guard": (), "cdk-nag": ()},
)
