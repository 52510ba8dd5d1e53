"""GOV-EC2-013: user data holds no literal secrets.

Source: RULES.md CMP-4; Amazon EC2 User Guide, "Run commands when you launch an EC2 instance
with user data input" (user data is not protected by cryptographic methods and is readable
by anyone who can call ``DescribeInstanceAttribute`` or reach the instance metadata service);
AWS CloudFormation User Guide, ``AWS::EC2::Instance`` ``UserData``,
``AWS::EC2::LaunchTemplate`` ``LaunchTemplateData.UserData``,
``AWS::AutoScaling::LaunchConfiguration`` ``UserData``.

User data is read after resolving ``Fn::Base64``, ``Fn::Sub`` and ``Fn::Join`` (a parameter's
``Default`` counts: it is written in the template); a string written already base64-encoded is
decoded. When the whole value cannot be resolved, the literal fragments written in the
template are scanned and the parts known only at deploy time are not (they are not in the
template). It FAILS on an AWS access key id (``AKIA``/``ASIA`` + 16 characters), an
``aws_secret_access_key`` with a literal value, a private key block, or a ``password=``-style
assignment (password, passwd, secret, api key, token) with a literal value; findings show
only the first four characters of what they found.
"""

from __future__ import annotations

from typing import Any

from ...helpers import LAUNCH_TEMPLATE, launch_template_data
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown
from .._secrets import findings_in, raw_strings


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    if resource.type == LAUNCH_TEMPLATE:
        value = launch_template_data(resource, "UserData")
        data = resource.raw_properties.get("LaunchTemplateData")
        raw = data.get("UserData") if isinstance(data, dict) else None
        path: tuple[str | int, ...] = ("Properties", "LaunchTemplateData", "UserData")
    else:
        value = resource.properties.get("UserData")
        raw = resource.raw_properties.get("UserData")
        path = ("Properties", "UserData")
    if value is None:
        return CheckResult.not_applicable("no UserData")
    partial = not isinstance(value, str)
    texts = [value] if isinstance(value, str) else list(raw_strings(raw))
    found = sorted({f for text in texts for f in findings_in(text)})
    if found:
        return [CheckResult.failed(f"UserData contains {f}: move it to Secrets Manager or SSM "
                                   f"Parameter Store and fetch it at boot", path) for f in found]
    note = ""
    if partial:
        reason = value.reason if isinstance(value, Unknown) else "not a string"
        note = (f" in its literal fragments; the parts known only at deploy time were not "
                f"scanned ({reason})")
    return CheckResult.passed(f"no access key id, secret key, private key or literal password "
                              f"found in UserData{note}", path)


RULE = Rule(
    id="GOV-EC2-013",
    backlog=("CMP-4",),
    name="user_data_no_secrets",
    title="User data of instances, launch templates and launch configurations holds no literal "
          "secrets",
    scope="resource",
    resource_types=("AWS::EC2::Instance", LAUNCH_TEMPLATE,
                    "AWS::AutoScaling::LaunchConfiguration"),
    controls=("IA-5(7)",),
    severity=Severity.CRITICAL,
    rationale=(
        "User data is stored unencrypted, returned by the EC2 API to anyone with "
        "ec2:DescribeInstanceAttribute, served by the instance metadata service and kept in "
        "the template and its history. IA-5(7) forbids embedding unencrypted static "
        "authenticators in applications and scripts: credentials belong in Secrets Manager or "
        "Parameter Store, fetched at boot with the instance role."),
    remediation=(
        "CDK: keep secrets out of ec2.UserData commands; store them in secretsmanager.Secret "
        "and read them at boot (aws secretsmanager get-secret-value) with secret.grant_read("
        "instance.role). CloudFormation: UserData of AWS::EC2::Instance, "
        "AWS::EC2::LaunchTemplate LaunchTemplateData and AWS::AutoScaling::LaunchConfiguration "
        "without access keys, private keys or literal passwords; fetch them from Secrets "
        "Manager or SSM Parameter Store SecureString at boot."),
    check=check,
    references=(
        "Amazon EC2 User Guide: Run commands when you launch an EC2 instance with user data "
        "input",
        "AWS Secrets Manager User Guide: Retrieve secrets",
        "AWS General Reference: Understanding unique ID prefixes (access key ids)",
        "NIST SP 800-53 Rev 5: IA-5(7) No Embedded Unencrypted Static Authenticators",
    ),
    equivalents={"checkov": ("CKV_AWS_46",), "guard": (), "cdk-nag": ()},
)
