"""GOV-ELASTICLOADBALANCINGV2-002: load balancer listeners terminate TLS with a FIPS security
policy; plain HTTP only redirects to HTTPS.

Source: RULES.md NET-9 (listeners); Elastic Load Balancing User Guide for Application Load
Balancers, "Security policies for your Application Load Balancer" (section "FIPS policies"),
and for Network Load Balancers, "Security policies for your Network Load Balancer"; AWS
CloudFormation User Guide, ``AWS::ElasticLoadBalancingV2::Listener`` (``SslPolicy``: when
unset, ELB applies its default policy, which is not a FIPS policy); NIST SP 800-52 Rev 2
(TLS 1.2 or later for government systems).

- ``HTTPS`` and ``TLS`` listeners: ``SslPolicy`` must be one of :data:`FIPS_POLICIES`; a FIPS
  policy that still negotiates TLS 1.0 or 1.1 (:data:`FIPS_POLICIES_LEGACY_TLS`) FAILS, and so
  does an unset or other policy.
- ``HTTP`` listeners PASS only when every ``DefaultActions`` entry is a ``redirect`` whose
  ``RedirectConfig.Protocol`` is ``HTTPS``.
- ``TCP``, ``UDP``, ``TCP_UDP``, ``QUIC`` and ``TCP_QUIC`` listeners FAIL: the load balancer does
  not terminate TLS (when targets terminate TLS themselves, acknowledge the finding).
- Gateway Load Balancer listeners (``GENEVE`` or no ``Protocol``) are NOT_APPLICABLE.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

FIPS_POLICIES: frozenset[str] = frozenset({
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
})
"""FIPS security policies that negotiate TLS 1.2 or later: Elastic Load Balancing User Guide
for Application Load Balancers, "Security policies for your Application Load Balancer",
section "FIPS policies" (the same names apply to Network Load Balancer TLS listeners). The
policies use cryptographic modules validated under FIPS 140-3. Keep this list in step with
that section when AWS adds policies."""
FIPS_POLICIES_LEGACY_TLS: frozenset[str] = frozenset({
    "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
})
"""FIPS policies of the same section that still accept TLS 1.1 or 1.0 (not allowed by NIST SP
800-52 Rev 2)."""
_TLS_PROTOCOLS = ("HTTPS", "TLS")
_CLEAR_PROTOCOLS = ("TCP", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC")


def _redirect_results(actions: Any) -> CheckResult:
    path = ("Properties", "DefaultActions")
    if isinstance(actions, Unknown):
        return CheckResult.unknown(f"DefaultActions cannot be resolved: {actions.reason}", path)
    if actions is not None and not isinstance(actions, list):
        return CheckResult.unknown(f"DefaultActions is {describe(actions)}, not a list", path)
    if not actions:
        return CheckResult.failed("HTTP listener without a redirect to HTTPS: traffic is "
                                  "served in clear text", path)
    for i, action in enumerate(actions):
        apath = path + (i,)
        if isinstance(action, Unknown):
            return CheckResult.unknown(f"DefaultActions[{i}] cannot be resolved: "
                                       f"{action.reason}", apath)
        if not isinstance(action, dict):
            return CheckResult.unknown(f"DefaultActions[{i}] is {describe(action)}", apath)
        atype = literal(action.get("Type"), "Type")
        if isinstance(atype, Unknown):
            return CheckResult.unknown(f"DefaultActions[{i}].Type cannot be resolved: "
                                       f"{atype.reason}", apath + ("Type",))
        if atype != "redirect":
            return CheckResult.failed(f"HTTP listener DefaultActions[{i}] is "
                                      f"{describe(atype)}, not a redirect to HTTPS: traffic is "
                                      f"served in clear text", apath + ("Type",))
        config = action.get("RedirectConfig")
        proto = literal(config.get("Protocol"), "Protocol") if isinstance(config, dict) else \
            config
        if isinstance(proto, Unknown):
            return CheckResult.unknown(f"DefaultActions[{i}].RedirectConfig cannot be resolved: "
                                       f"{proto.reason}", apath + ("RedirectConfig",))
        if not isinstance(proto, str) or proto.upper() != "HTTPS":
            shown = "not set (keeps the request's protocol)" if proto is None else describe(proto)
            return CheckResult.failed(f"HTTP listener redirect Protocol is {shown}, not HTTPS",
                                      apath + ("RedirectConfig", "Protocol"))
    return CheckResult.passed("HTTP listener only redirects to HTTPS", path)


def check(resource: Any, ctx: Any) -> CheckResult:
    props = resource.properties
    proto_path = ("Properties", "Protocol")
    protocol = literal(props.get("Protocol"), "Protocol")
    if isinstance(protocol, Unknown):
        return CheckResult.unknown(f"Protocol cannot be resolved: {protocol.reason}", proto_path)
    if protocol is None or protocol == "GENEVE":
        return CheckResult.not_applicable("Gateway Load Balancer listener: no TLS termination")
    if protocol == "HTTP":
        return _redirect_results(props.get("DefaultActions"))
    if protocol in _CLEAR_PROTOCOLS:
        return CheckResult.failed(f"{protocol} listener: the load balancer does not terminate "
                                  f"TLS (use a TLS listener with a FIPS policy)", proto_path)
    if protocol not in _TLS_PROTOCOLS:
        return CheckResult.unknown(f"Protocol {describe(protocol)} is not a listener protocol",
                                   proto_path)
    path = ("Properties", "SslPolicy")
    policy = literal(props.get("SslPolicy"), "SslPolicy")
    if isinstance(policy, Unknown):
        return CheckResult.unknown(f"SslPolicy cannot be resolved: {policy.reason}", path)
    if policy is None:
        return CheckResult.failed(f"{protocol} listener without SslPolicy: ELB applies its "
                                  f"default security policy, which is not a FIPS policy", path)
    if policy in FIPS_POLICIES:
        return CheckResult.passed(f"{protocol} listener with FIPS policy {policy}", path)
    if policy in FIPS_POLICIES_LEGACY_TLS:
        return CheckResult.failed(f"SslPolicy {policy} is a FIPS policy but still accepts TLS "
                                  f"1.0/1.1 (NIST SP 800-52 Rev 2 requires TLS 1.2 or later)", path)
    return CheckResult.failed(f"SslPolicy {describe(policy)} is not a FIPS security policy", path)


RULE = Rule(
    id="GOV-ELASTICLOADBALANCINGV2-002",
    backlog=("NET-9",),
    name="listener_tls_fips",
    title="Load balancer listeners use HTTPS or TLS with a FIPS security policy, and HTTP "
          "listeners only redirect to HTTPS",
    scope="resource",
    resource_types=("AWS::ElasticLoadBalancingV2::Listener",),
    controls=("SC-8", "SC-8(1)", "SC-13", "SC-23"),
    severity=Severity.HIGH,
    rationale=(
        "Data in transit to a FedRAMP system must be protected by cryptography (SC-8, SC-8(1)) "
        "implemented with FIPS-validated modules (SC-13), and sessions must be authentic "
        "(SC-23). A plain HTTP or TCP listener sends data in clear text; an HTTPS listener on "
        "ELB's default policy negotiates non-FIPS ciphers. Only the FIPS policies with TLS "
        "1.2 or later meet both."),
    remediation=(
        "CDK: lb.add_listener('Https', protocol=elbv2.ApplicationProtocol.HTTPS, "
        "certificates=[...], ssl_policy=elbv2.SslPolicy.TLS13_12_FIPS_2023_04 (or another "
        "TLS 1.2+ FIPS policy)) and lb.add_redirect() for port 80; NetworkLoadBalancer "
        "listeners protocol=elbv2.Protocol.TLS with the same ssl_policy. CloudFormation: "
        "AWS::ElasticLoadBalancingV2::Listener Protocol HTTPS or TLS with SslPolicy "
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04 (or another TLS 1.2+ FIPS policy); HTTP "
        "listeners with only DefaultActions Type redirect, RedirectConfig.Protocol HTTPS."),
    check=check,
    references=(
        "Elastic Load Balancing User Guide for Application Load Balancers: Security policies "
        "for your Application Load Balancer (FIPS policies)",
        "Elastic Load Balancing User Guide for Network Load Balancers: Security policies for "
        "your Network Load Balancer",
        "AWS CloudFormation User Guide: AWS::ElasticLoadBalancingV2::Listener",
        "NIST SP 800-52 Rev 2: Guidelines for the Selection, Configuration, and Use of TLS",
        "NIST SP 800-53 Rev 5: SC-8 Transmission Confidentiality and Integrity; SC-8(1) "
        "Cryptographic Protection; SC-13 Cryptographic Protection; SC-23 Session Authenticity",
    ),
    equivalents={
        "checkov": ("CKV_AWS_2", "CKV_AWS_103"),
        "guard": ("ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK",),
        "cdk-nag": ("NIST.800.53.R5-ALBHttpToHttpsRedirection",),
    },
)
