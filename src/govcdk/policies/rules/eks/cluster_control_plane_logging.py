"""GOV-EKS-001: EKS clusters send all five control plane log types to CloudWatch Logs.

Source: RULES.md LOG-11; Amazon EKS User Guide, "Send control plane logs to CloudWatch Logs"
(log types ``api``, ``audit``, ``authenticator``, ``controllerManager``, ``scheduler``; all are
off by default); AWS CloudFormation User Guide, ``AWS::EKS::Cluster``
``Logging.ClusterLogging.EnabledTypes`` (a list of ``{Type: ...}``).
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    base: tuple[str | int, ...] = ("Properties", "Logging")
    value: Any = resource.properties.get("Logging")
    for key in ("ClusterLogging", "EnabledTypes"):
        if isinstance(value, Unknown):
            return CheckResult.unknown(f"{base[-1]} cannot be resolved: {value.reason}", base)
        if value is not None and not isinstance(value, dict):
            return CheckResult.failed(f"{base[-1]} is {describe(value)}, not a mapping", base)
        value = value.get(key) if isinstance(value, dict) else None
        base = base + (key,)
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"EnabledTypes cannot be resolved: {value.reason}", base)
    enabled: set[str] = set()
    unknowns: list[CheckResult] = []
    items = value if isinstance(value, list) else ([] if value is None else [value])
    for i, item in enumerate(items):
        kind = literal(item.get("Type"), "Type") if isinstance(item, dict) else literal(item)
        if isinstance(kind, Unknown):
            unknowns.append(CheckResult.unknown(f"log type cannot be resolved: {kind.reason}",
                                                base + (i,)))
        elif isinstance(kind, str):
            enabled.add(kind)
    missing = [t for t in LOG_TYPES if t not in enabled]
    if not missing:
        return CheckResult.passed("all five control plane log types are enabled: "
                                  + ", ".join(LOG_TYPES), base)
    if unknowns:
        return unknowns
    shown = "no control plane log type is enabled" if not enabled else \
        "control plane log types not enabled"
    return CheckResult.failed(f"{shown}: {', '.join(missing)}", base)


RULE = Rule(
    id="GOV-EKS-001",
    backlog=("LOG-11",),
    name="cluster_control_plane_logging",
    title="EKS clusters send all five control plane log types (api, audit, authenticator, "
          "controllerManager, scheduler) to CloudWatch Logs",
    scope="resource",
    resource_types=("AWS::EKS::Cluster",),
    controls=("AU-2", "AU-12"),
    severity=Severity.MEDIUM,
    rationale=(
        "The Kubernetes API server audit log is the only record of who did what inside the "
        "cluster (AU-2, AU-12): CloudTrail sees the EKS API, not kubectl calls. The "
        "authenticator log maps IAM principals to Kubernetes users, and the controller manager "
        "and scheduler logs explain workload changes; all are off unless enabled."),
    remediation=(
        "CDK: eks.Cluster(self, 'Cluster', cluster_logging=[eks.ClusterLoggingTypes.API, "
        "eks.ClusterLoggingTypes.AUDIT, eks.ClusterLoggingTypes.AUTHENTICATOR, "
        "eks.ClusterLoggingTypes.CONTROLLER_MANAGER, eks.ClusterLoggingTypes.SCHEDULER]). "
        "CloudFormation: AWS::EKS::Cluster Logging.ClusterLogging.EnabledTypes with Type api, "
        "audit, authenticator, controllerManager and scheduler."),
    check=check,
    references=(
        "Amazon EKS User Guide: Send control plane logs to CloudWatch Logs",
        "AWS CloudFormation User Guide: AWS::EKS::Cluster Logging, ClusterLogging, "
        "LoggingTypeConfig",
        "NIST SP 800-53 Rev 5: AU-2 Event Logging; AU-12 Audit Record Generation",
    ),
    equivalents={"checkov": ("CKV_AWS_37",), "guard": (), "cdk-nag": ("AwsSolutions-EKS2",)},
)
