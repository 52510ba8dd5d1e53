"""GOV-GOVCLOUD-004: service principals and log-delivery principals in trust and resource
policies are valid in the aws-us-gov partition.

Source: RULES.md GOV-4; IAM User Guide, "AWS JSON policy elements: Principal" (service
principals are ``<service>.amazonaws.com``, the same name in every Region); AWS GovCloud (US)
User Guide, "Services in AWS GovCloud (US) Regions"; Elastic Load Balancing User Guide,
"Enable access logs for your Application Load Balancer" (the Elastic Load Balancing account
per Region: us-gov-west-1 048591011584, us-gov-east-1 190560391635); aws-cdk#17646 and
aws-cdk#1469 (region-qualified and ``AWS::URLSuffix`` principals).

Policies read (resolved for the target Region; JSON strings parsed):
``AWS::IAM::Role`` ``AssumeRolePolicyDocument``; ``PolicyDocument`` of ``AWS::S3::BucketPolicy``,
``AWS::SQS::QueuePolicy``, ``AWS::SNS::TopicPolicy`` and ``AWS::Logs::ResourcePolicy``;
``AWS::KMS::Key``/``ReplicaKey`` ``KeyPolicy``; ``AWS::SecretsManager::ResourcePolicy``
``ResourcePolicy``; ``AWS::ECR::Repository`` ``RepositoryPolicyText``;
``AWS::Lambda::Permission`` ``Principal`` (a string). Every ``Principal``/``NotPrincipal``, Allow
or Deny: a principal that does not exist is a deployment failure either way.

A ``Service`` principal FAILS when it

- is built with ``AWS::URLSuffix`` (read from the template as written): the suffix is
  ``amazonaws.com.cn`` in aws-cn, and service principal names are not DNS names;
- does not end in ``.amazonaws.com`` (``.amazonaws.com.cn``, ``ec2.amazonaws-us-gov.com``,
  ISO suffixes);
- is region-qualified (``ssm.us-gov-west-1.amazonaws.com``), unless its service is in the
  parameter ``regional_principal_services`` (default ``logs``: CloudWatch Logs uses
  ``logs.<region>.amazonaws.com`` in KMS key policies);
- names a service not offered in AWS GovCloud (US): parameter ``commercial_only_principals``
  (default CloudFront ``cloudfront.amazonaws.com``, Lambda@Edge ``edgelambda.amazonaws.com``,
  Amplify ``amplify.amazonaws.com``, App Runner ``apprunner.amazonaws.com``,
  ``build.apprunner.amazonaws.com``, ``tasks.apprunner.amazonaws.com``).

An ``AWS`` principal (account id or ``iam`` ARN) FAILS when its account is the Elastic Load
Balancing log-delivery account of a Region outside GovCloud (commercial or China,
e.g. ``127311923021`` of us-east-1), or the GovCloud one of the other GovCloud Region (the
access-log bucket is in the load balancer's Region).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ....govcloud import REGIONS
from ...helpers import describe
from ...iam_documents import Document, parse_document, principal_values, statements
from ...model import CheckResult, Rule, Severity
from ...resolver import AttrRef, ResourceRef, Unknown

ELB_GOVCLOUD_ACCOUNTS = {"us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635"}
ELB_OTHER_ACCOUNTS = {
    "127311923021": "us-east-1", "033677994240": "us-east-2", "027434742980": "us-west-1",
    "797873946194": "us-west-2", "098369216593": "af-south-1", "754344448648": "ap-east-1",
    "718504428378": "ap-south-1", "600734575887": "ap-northeast-2",
    "383597477331": "ap-northeast-3", "114774131450": "ap-southeast-1",
    "783225319266": "ap-southeast-2", "582318560864": "ap-northeast-1",
    "985666609251": "ca-central-1", "054676820928": "eu-central-1", "156460612806": "eu-west-1",
    "652711504416": "eu-west-2", "635631232127": "eu-south-1", "009996457667": "eu-west-3",
    "897822967062": "eu-north-1", "076674570225": "me-south-1", "507241528517": "sa-east-1",
    "638102146993": "cn-north-1", "037604701340": "cn-northwest-1",
}
"""Elastic Load Balancing account ids of Regions outside GovCloud (Elastic Load Balancing
User Guide, "Enable access logs", Regions available before August 2022)."""

COMMERCIAL_ONLY_PRINCIPALS = (
    "cloudfront.amazonaws.com", "edgelambda.amazonaws.com", "amplify.amazonaws.com",
    "apprunner.amazonaws.com", "build.apprunner.amazonaws.com", "tasks.apprunner.amazonaws.com",
)
REGIONAL_PRINCIPAL_SERVICES = ("logs",)

_POLICY_PROPERTIES = {
    "AWS::IAM::Role": "AssumeRolePolicyDocument",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::Logs::ResourcePolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::KMS::ReplicaKey": "KeyPolicy",
    "AWS::SecretsManager::ResourcePolicy": "ResourcePolicy",
    "AWS::ECR::Repository": "RepositoryPolicyText",
}
_REGIONAL = re.compile(r"^([a-z0-9-]+)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$")
_ACCOUNT_IN = re.compile(r"^(?:arn:[^:]+:iam::)?(\d{12})(?::|$)")


class _Judge:
    def __init__(self, ctx: Any) -> None:
        self.region = ctx.region
        self.commercial = {p.lower() for p in ctx.params.get(
            "commercial_only_principals", COMMERCIAL_ONLY_PRINCIPALS)}
        self.regional = {s.lower() for s in ctx.params.get(
            "regional_principal_services", REGIONAL_PRINCIPAL_SERVICES)}
        self.checked = 0

    def service(self, value: Any, where: str, path: tuple[str | int, ...]) -> CheckResult | None:
        if isinstance(value, Unknown):
            return CheckResult.unknown(f"{where}: service principal cannot be resolved: "
                                       f"{value.reason}", path)
        if isinstance(value, (ResourceRef, AttrRef)) or not isinstance(value, str):
            return CheckResult.failed(f"{where}: service principal {describe(value)} is not a "
                                      f"service name", path)
        self.checked += 1
        name = value.strip().lower()
        if name.endswith(".amazonaws.com.cn"):
            return CheckResult.failed(f"{where}: service principal {value!r} uses the aws-cn "
                                      f"suffix amazonaws.com.cn; in aws-us-gov it is "
                                      f"<service>.amazonaws.com", path)
        if not name.endswith(".amazonaws.com"):
            return CheckResult.failed(f"{where}: {value!r} is not a service principal "
                                      f"(<service>.amazonaws.com)", path)
        m = _REGIONAL.match(name)
        if m and m.group(1) not in self.regional:
            return CheckResult.failed(f"{where}: service principal {value!r} is region-"
                                      f"qualified; IAM accepts {m.group(1)}.amazonaws.com "
                                      f"(aws-cdk#17646)", path)
        if name in self.commercial:
            return CheckResult.failed(f"{where}: service principal {value!r} names a service "
                                      f"not offered in AWS GovCloud (US)", path)
        return None

    def account(self, value: Any, where: str, path: tuple[str | int, ...]) -> CheckResult | None:
        if not isinstance(value, str):
            return None
        m = _ACCOUNT_IN.match(value.strip())
        if not m:
            return None
        account = m.group(1)
        self.checked += 1
        if account in ELB_OTHER_ACCOUNTS:
            gov = ELB_GOVCLOUD_ACCOUNTS.get(self.region) or " / ".join(
                f"{a} ({r})" for r, a in ELB_GOVCLOUD_ACCOUNTS.items())
            return CheckResult.failed(
                f"{where}: AWS principal {value!r} is the Elastic Load Balancing log-delivery "
                f"account of {ELB_OTHER_ACCOUNTS[account]}; in {self.region} it is {gov}", path)
        for region, gov in ELB_GOVCLOUD_ACCOUNTS.items():
            if account == gov and self.region in REGIONS and region != self.region:
                return CheckResult.failed(
                    f"{where}: AWS principal {value!r} is the Elastic Load Balancing account of "
                    f"{region}; load balancers in {self.region} deliver logs as "
                    f"{ELB_GOVCLOUD_ACCOUNTS[self.region]}", path)
        return None


def _url_suffix_paths(raw: Any, path: tuple[str | int, ...], out: list[tuple[str | int, ...]]
                      ) -> None:
    """Paths of ``Service`` principal values that use ``AWS::URLSuffix`` in the raw document."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key == "Service" and "AWS::URLSuffix" in json.dumps(value, default=str):
                out.append(path + (key,))
            else:
                _url_suffix_paths(value, path + (str(key),), out)
    elif isinstance(raw, list):
        for i, item in enumerate(raw):
            _url_suffix_paths(item, path + (i,), out)


def _document(doc: Document, judge: _Judge) -> list[CheckResult]:
    out: list[CheckResult] = []
    for stmt in statements(doc):
        if isinstance(stmt, CheckResult):
            out.append(stmt)
            continue
        got = principal_values(stmt)
        if got is None:
            continue
        if isinstance(got, CheckResult):
            out.append(got)
            continue
        element, kinds = got
        raw = stmt.data.get(element)
        for kind, values in kinds.items():
            listed = isinstance(raw, dict) and isinstance(raw.get(kind), list)
            for i, value in enumerate(values):
                path = stmt.at(element, kind, i) if listed else stmt.at(element, kind)
                if kind == "Service":
                    r = judge.service(value, stmt.name, path)
                elif kind == "AWS":
                    r = judge.account(value, stmt.name, path)
                else:
                    r = None
                if r is not None:
                    out.append(r)
    return out


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    judge = _Judge(ctx)
    results: list[CheckResult] = []
    if resource.type == "AWS::Lambda::Permission":
        path = ("Properties", "Principal")
        value = resource.properties.get("Principal")
        raw = resource.raw_properties.get("Principal")
        if raw is not None and "AWS::URLSuffix" in json.dumps(raw, default=str):
            results.append(CheckResult.failed("Principal uses AWS::URLSuffix: service principal "
                                              "names are <service>.amazonaws.com in aws-us-gov, "
                                              "not DNS names", path))
        elif isinstance(value, str) and "." in value:
            r = judge.service(value, "Principal", path)
            if r is not None:
                results.append(r)
        elif isinstance(value, Unknown):
            results.append(CheckResult.unknown(f"Principal cannot be resolved: {value.reason}",
                                               path))
        else:
            r = judge.account(value, "Principal", path)
            if r is not None:
                results.append(r)
    else:
        prop = _POLICY_PROPERTIES[resource.type]
        path = ("Properties", prop)
        raw = resource.raw_properties.get(prop)
        suffixed: list[tuple[str | int, ...]] = []
        _url_suffix_paths(raw, path, suffixed)
        for at in suffixed:
            results.append(CheckResult.failed(
                "service principal built with AWS::URLSuffix: it resolves to amazonaws.com.cn in "
                "aws-cn, and service principal names are <service>.amazonaws.com, not DNS names",
                at))
        doc = parse_document(resource.properties.get(prop), path)
        if isinstance(doc, CheckResult):
            results.append(doc)
        elif doc is not None:
            found = _document(doc, judge)
            results += [r for r in found if not any(
                r.path[:len(p)] == p for p in suffixed)]
    if results:
        return results
    if judge.checked == 0:
        return CheckResult.not_applicable("no service or account principal")
    return CheckResult.passed(f"{judge.checked} principal(s) valid in aws-us-gov")


RULE = Rule(
    id="GOV-GOVCLOUD-004",
    backlog=("GOV-4",),
    name="service_principals",
    title="Service and log-delivery principals in trust and resource policies are valid in "
          "the aws-us-gov partition",
    scope="resource",
    resource_types=tuple(_POLICY_PROPERTIES) + ("AWS::Lambda::Permission",),
    controls=("CM-6",),
    severity=Severity.HIGH,
    rationale=(
        "A trust or resource policy naming a principal that does not exist in aws-us-gov (an "
        "aws-cn suffix, a region-qualified or DNS-suffixed service name, a commercial-only "
        "service, the commercial Elastic Load Balancing account) fails to deploy with "
        "MalformedPolicyDocument or silently grants nothing, so logs are not delivered: the "
        "configuration settings the baseline requires (CM-6) are not in effect."),
    remediation=(
        "CDK: iam.ServicePrincipal('ssm.amazonaws.com') (no Region, no Aws.URL_SUFFIX); "
        "bucket policies for ALB access logs through elbv2 load_balancer.log_access_logs(bucket) "
        "in the GovCloud stack. CloudFormation: Principal: {Service: <service>.amazonaws.com} "
        "literally; for ALB access logs grant arn:${AWS::Partition}:iam::048591011584:root "
        "(us-gov-west-1) or 190560391635 (us-gov-east-1)."),
    check=check,
    references=(
        "IAM User Guide: AWS JSON policy elements: Principal (AWS service principals)",
        "AWS GovCloud (US) User Guide: Services in AWS GovCloud (US) Regions",
        "Elastic Load Balancing User Guide: Enable access logs for your Application Load "
        "Balancer (Elastic Load Balancing account ids per Region)",
        "aws/aws-cdk#17646 (region-qualified service principals), aws/aws-cdk#1469 "
        "(URLSuffix-based principal names)",
        "NIST SP 800-53 Rev 5: CM-6 Configuration Settings",
    ),
)
