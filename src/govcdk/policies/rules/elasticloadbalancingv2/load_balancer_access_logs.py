"""GOV-ELASTICLOADBALANCINGV2-001: Application and Network Load Balancers write access logs to S3.

Source: RULES.md LOG-12; Elastic Load Balancing User Guides, "Access logs for your Application
Load Balancer" and "Access logs for your Network Load Balancer" (attributes
``access_logs.s3.enabled`` and ``access_logs.s3.bucket``); AWS CloudFormation User Guide,
``AWS::ElasticLoadBalancingV2::LoadBalancer`` ``LoadBalancerAttributes``. Gateway Load Balancers
have no access logs and are not applicable. WAF logging (the other half of LOG-12) is not
checked here.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown, is_null

ENABLED, BUCKET = "access_logs.s3.enabled", "access_logs.s3.bucket"


def _attributes(value: Any) -> tuple[dict[str, tuple[int, Any]], list[CheckResult]]:
    """Attribute key -> (index, value); UNKNOWN results for entries whose key is unresolved."""
    out: dict[str, tuple[int, Any]] = {}
    unknowns: list[CheckResult] = []
    for i, item in enumerate(value if isinstance(value, list) else []):
        path = ("Properties", "LoadBalancerAttributes", i)
        if isinstance(item, Unknown):
            unknowns.append(CheckResult.unknown(f"load balancer attribute cannot be resolved: "
                                                f"{item.reason}", path))
            continue
        if not isinstance(item, dict):
            continue
        key = literal(item.get("Key"), "Key")
        if isinstance(key, Unknown):
            unknowns.append(CheckResult.unknown(f"attribute Key cannot be resolved: "
                                                f"{key.reason}", path + ("Key",)))
        elif isinstance(key, str):
            out[key] = (i, item.get("Value"))
    return out, unknowns


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    props = resource.properties
    lb_type = literal(props.get("Type", "application"), "Type")
    if isinstance(lb_type, Unknown):
        return CheckResult.unknown(f"Type cannot be resolved: {lb_type.reason}",
                                   ("Properties", "Type"))
    if lb_type == "gateway":
        return CheckResult.not_applicable("Gateway Load Balancers have no access logs")
    base = ("Properties", "LoadBalancerAttributes")
    raw = props.get("LoadBalancerAttributes")
    if isinstance(raw, Unknown):
        return CheckResult.unknown(f"LoadBalancerAttributes cannot be resolved: {raw.reason}",
                                   base)
    attrs, unknowns = _attributes(raw)
    results: list[CheckResult] = []
    if ENABLED in attrs:
        i, value = attrs[ENABLED]
        enabled = as_bool(value)
        path = base + (i, "Value")
        if isinstance(enabled, Unknown):
            results.append(CheckResult.unknown(f"{ENABLED} cannot be resolved: "
                                               f"{enabled.reason}", path))
        elif enabled is not True:
            results.append(CheckResult.failed(f"{ENABLED} is {describe(value)}: access logs "
                                              f"are off", path))
    else:
        results.append(CheckResult.failed(f"{ENABLED} not set (defaults to false): access logs "
                                          f"are off", base))
    if BUCKET in attrs:
        i, value = attrs[BUCKET]
        path = base + (i, "Value")
        if isinstance(value, Unknown) and not is_null(value):
            results.append(CheckResult.unknown(f"{BUCKET} cannot be resolved: {value.reason}",
                                               path))
        elif value is None or is_null(value) or (isinstance(value, str) and not value.strip()):
            results.append(CheckResult.failed(f"{BUCKET} is empty: no bucket receives the "
                                              f"access logs", path))
    else:
        results.append(CheckResult.failed(f"{BUCKET} not set: no bucket receives the access "
                                          f"logs", base))
    if results:
        # A definite failure of a key that is present decides; a key reported missing may be
        # one of the attributes whose Key cannot be resolved.
        decided = [r for r in results if r.status.value == "FAIL" and r.path != base]
        return decided or (unknowns if unknowns else results)
    _, bucket = attrs[BUCKET]
    return CheckResult.passed(f"access logs are written to bucket {describe(bucket)}",
                              base + (attrs[ENABLED][0], "Value"))


RULE = Rule(
    id="GOV-ELASTICLOADBALANCINGV2-001",
    backlog=("LOG-12",),
    name="load_balancer_access_logs",
    title="Application and Network Load Balancers write access logs to an S3 bucket",
    scope="resource",
    resource_types=("AWS::ElasticLoadBalancingV2::LoadBalancer",),
    controls=("AU-2", "AU-12"),
    severity=Severity.MEDIUM,
    rationale=(
        "A load balancer is the boundary where client requests enter the system; its access "
        "logs record each request's client, target, latency and status, the events AU-2 "
        "selects and AU-12 requires to be generated. They are off by default, and without them "
        "requests that never reach a logged backend leave no trace."),
    remediation=(
        "CDK: lb.log_access_logs(bucket, prefix='alb') on an elbv2.ApplicationLoadBalancer or "
        "NetworkLoadBalancer. CloudFormation: AWS::ElasticLoadBalancingV2::LoadBalancer "
        "LoadBalancerAttributes [{Key: access_logs.s3.enabled, Value: 'true'}, {Key: "
        "access_logs.s3.bucket, Value: <bucket name>}]."),
    check=check,
    references=(
        "Elastic Load Balancing: Access logs for your Application Load Balancer",
        "Elastic Load Balancing: Access logs for your Network Load Balancer",
        "AWS CloudFormation User Guide: AWS::ElasticLoadBalancingV2::LoadBalancer "
        "LoadBalancerAttribute",
        "NIST SP 800-53 Rev 5: AU-2 Event Logging; AU-12 Audit Record Generation",
    ),
    equivalents={
        "checkov": ("CKV_AWS_91",),
        "guard": (),
        "cdk-nag": ("NIST.800.53.R5-ELBLoggingEnabled", "AwsSolutions-ELB2"),
    },
)
