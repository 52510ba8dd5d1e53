"""GOV-EKS-002: the EKS cluster's Kubernetes API server endpoint is private only.

Source: RULES.md NET-10; Amazon EKS User Guide, "Control network access to cluster API server
endpoint" (public access on and private access off by default); AWS CloudFormation User Guide,
``AWS::EKS::Cluster`` ``ResourcesVpcConfig.EndpointPublicAccess`` (default true) and
``EndpointPrivateAccess`` (default false). Both must be set: ``EndpointPublicAccess: false``
(unset FAILS) and ``EndpointPrivateAccess: true`` (unset FAILS).
"""

from __future__ import annotations

from typing import Any

from ...helpers import bool_setting, describe
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    base = ("Properties", "ResourcesVpcConfig")
    config = resource.properties.get("ResourcesVpcConfig")
    if isinstance(config, Unknown):
        return [CheckResult.unknown(f"ResourcesVpcConfig cannot be resolved: {config.reason}",
                                    base)]
    if not isinstance(config, dict):
        return [CheckResult.unknown(f"ResourcesVpcConfig is {describe(config)}, not a mapping",
                                    base)]
    out: list[CheckResult] = []
    public = bool_setting(config.get("EndpointPublicAccess"), "EndpointPublicAccess",
                          base + ("EndpointPublicAccess",))
    if isinstance(public, CheckResult):
        out.append(public)
    elif public is not False:
        shown = "not set (defaults to true)" if public is None else "true"
        out.append(CheckResult.failed(f"EndpointPublicAccess is {shown}: the Kubernetes API "
                                      f"server is reachable from the internet",
                                      base + ("EndpointPublicAccess",)))
    private = bool_setting(config.get("EndpointPrivateAccess"), "EndpointPrivateAccess",
                           base + ("EndpointPrivateAccess",))
    if isinstance(private, CheckResult):
        out.append(private)
    elif not private:
        shown = "not set (defaults to false)" if private is None else "false"
        out.append(CheckResult.failed(f"EndpointPrivateAccess is {shown}: nodes and operators "
                                      f"in the VPC cannot reach the API server privately",
                                      base + ("EndpointPrivateAccess",)))
    return out or [CheckResult.passed("API server endpoint private only", base)]


RULE = Rule(
    id="GOV-EKS-002",
    backlog=("NET-10",),
    name="cluster_private_endpoint",
    title="EKS cluster API server endpoints are private only",
    scope="resource",
    resource_types=("AWS::EKS::Cluster",),
    controls=("AC-17", "SC-7"),
    severity=Severity.HIGH,
    rationale=(
        "A public Kubernetes API endpoint exposes the cluster's control plane to the internet, "
        "where leaked kubeconfig credentials or API vulnerabilities can be used from anywhere. "
        "Remote access (AC-17) and boundary protection (SC-7) require administration to come "
        "through the VPC (SSM, VPN, Direct Connect) with public access turned off."),
    remediation=(
        "CDK: eks.Cluster(..., endpoint_access=eks.EndpointAccess.PRIVATE). CloudFormation: "
        "AWS::EKS::Cluster ResourcesVpcConfig EndpointPublicAccess: false and "
        "EndpointPrivateAccess: true."),
    check=check,
    references=(
        "Amazon EKS User Guide: Control network access to cluster API server endpoint",
        "AWS CloudFormation User Guide: AWS::EKS::Cluster ResourcesVpcConfig",
        "NIST SP 800-53 Rev 5: AC-17 Remote Access; SC-7 Boundary Protection",
    ),
    equivalents={
        "checkov": ("CKV_AWS_39", "CKV_AWS_38"),
        "guard": ("EKS_ENDPOINT_NO_PUBLIC_ACCESS",),
        "cdk-nag": ("AwsSolutions-EKS1",),
    },
)
