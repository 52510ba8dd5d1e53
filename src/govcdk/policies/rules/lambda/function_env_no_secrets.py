"""GOV-LAMBDA-001: Lambda function environment variables hold no literal secrets.

Source: RULES.md CMP-4; AWS Lambda Developer Guide, "Working with Lambda environment
variables" and "Securing environment variables" (use Secrets Manager; environment variables
are visible to anyone with ``lambda:GetFunctionConfiguration``); AWS CloudFormation User
Guide, ``AWS::Lambda::Function`` ``Environment.Variables``.

A variable FAILS when its value is a literal (written in the template, a parameter's
``Default`` included) and either its name announces a secret (PASSWORD, PASSWD, SECRET,
TOKEN, API_KEY, PRIVATE_KEY, CREDENTIAL, ACCESS_KEY; names that point at a secret such as
``DB_SECRET_ARN`` or ``TOKEN_URL`` are left alone) or its value holds an AWS access key id, a
private key block or a ``password=``-style assignment. A ``Ref``/``Fn::GetAtt`` to a resource, a
dynamic reference (``{{resolve:secretsmanager:...}}``) or a parameter without a value is not a
literal and passes; so do an empty string, ``true``/``false`` and plain numbers.
"""

from __future__ import annotations

import re
from typing import Any

from ...helpers import describe
from ...model import CheckResult, Rule, Severity
from ...resolver import AttrRef, ResourceRef, Unknown, is_opaque
from .._secrets import POINTER_SUFFIX, SECRET_NAME, findings_in, redact

_HARMLESS = re.compile(r"(?:true|false|\d+(?:\.\d+)?)", re.IGNORECASE)


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    base = ("Properties", "Environment")
    env = resource.properties.get("Environment")
    if env is None:
        return CheckResult.not_applicable("no Environment")
    if isinstance(env, Unknown):
        return CheckResult.unknown(f"Environment cannot be resolved: {env.reason}", base)
    if not isinstance(env, dict):
        return CheckResult.unknown(f"Environment is {describe(env)}, not a mapping", base)
    variables = env.get("Variables")
    vpath = base + ("Variables",)
    if variables is None:
        return CheckResult.not_applicable("no Environment.Variables")
    if isinstance(variables, Unknown):
        return CheckResult.unknown(f"Environment.Variables cannot be resolved: "
                                   f"{variables.reason}", vpath)
    if not isinstance(variables, dict):
        return CheckResult.unknown(f"Environment.Variables is {describe(variables)}, not a "
                                   f"mapping", vpath)
    failing: list[CheckResult] = []
    for name, value in variables.items():
        path = vpath + (name,)
        if isinstance(value, (Unknown, ResourceRef, AttrRef)) or not isinstance(value, str):
            continue
        found = sorted(set(findings_in(value)))
        for f in found:
            failing.append(CheckResult.failed(f"variable {name} contains {f}", path))
        text = value.strip()
        if found or not text or _HARMLESS.fullmatch(text) or is_opaque(text):
            continue
        if SECRET_NAME.search(str(name)) and not POINTER_SUFFIX.search(str(name)):
            failing.append(CheckResult.failed(
                f"variable {name} holds a literal value ({redact(text)}): use a Secrets "
                f"Manager secret read at run time, or a dynamic reference", path))
    return failing or CheckResult.passed(
        f"{len(variables)} environment variable(s), none holds a literal secret", vpath)


RULE = Rule(
    id="GOV-LAMBDA-001",
    backlog=("CMP-4",),
    name="function_env_no_secrets",
    title="Lambda function environment variables hold no literal secrets",
    scope="resource",
    resource_types=("AWS::Lambda::Function",),
    controls=("IA-5(7)",),
    severity=Severity.CRITICAL,
    rationale=(
        "Environment variables are returned in clear text by GetFunctionConfiguration, shown "
        "in the console and kept in the template and its history. IA-5(7) forbids embedding "
        "unencrypted static authenticators: passwords, tokens and keys belong in Secrets "
        "Manager (or Parameter Store SecureString), read by the function at run time with its "
        "execution role."),
    remediation=(
        "CDK: lambda_.Function(..., environment={'DB_SECRET_ARN': secret.secret_arn}) and "
        "secret.grant_read(fn); never put the secret value itself in environment. "
        "CloudFormation: AWS::Lambda::Function Environment.Variables naming the secret (ARN or "
        "name) rather than holding it; read it at run time (AWS Parameters and Secrets Lambda "
        "Extension or the SDK)."),
    check=check,
    references=(
        "AWS Lambda Developer Guide: Working with Lambda environment variables; Securing "
        "environment variables",
        "AWS Secrets Manager User Guide: Use AWS Secrets Manager secrets in AWS Lambda "
        "functions",
        "NIST SP 800-53 Rev 5: IA-5(7) No Embedded Unencrypted Static Authenticators",
    ),
    equivalents={"checkov": ("CKV_AWS_45",), "guard": (), "cdk-nag": ()},
)
