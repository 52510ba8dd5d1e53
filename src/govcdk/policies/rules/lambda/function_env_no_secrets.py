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

AWS SAM functions (``AWS::Serverless::Function``, AWS Serverless Application Model Developer
Guide, "AWS::Serverless::Function" ``Environment`` and "Globals section of the AWS SAM
template") are checked the same way, before the transform: SAM copies ``Environment`` into the
``AWS::Lambda::Function`` it generates, merged with ``Globals.Function.Environment.Variables``
(a variable the function declares wins over the global of the same name). An inherited
variable is reported on each function that inherits it, its message saying it comes from
``Globals``. The engine still reports the SAM transform itself (rule ``ENGINE``): the other
resources SAM generates are not checked.
"""

from __future__ import annotations

import re
from typing import Any

from ...helpers import describe
from ...model import CheckResult, Rule, Severity
from ...resolver import AttrRef, ResourceRef, Unknown, is_opaque
from .._secrets import POINTER_SUFFIX, SECRET_NAME, findings_in, redact

_HARMLESS = re.compile(r"(?:true|false|\d+(?:\.\d+)?)", re.IGNORECASE)
SAM_FUNCTION = "AWS::Serverless::Function"
_GLOBALS = "Globals.Function.Environment"


def _variables(env: Any, base: tuple[str | int, ...], where: str
               ) -> dict[str, Any] | CheckResult | None:
    """``Variables`` of a resolved ``Environment`` value ``env`` (``where`` names it in
    messages): the mapping, None when there is no ``Environment`` or no ``Variables``, or an
    UNKNOWN result when either is not a mapping or cannot be resolved."""
    if env is None:
        return None
    if isinstance(env, Unknown):
        return CheckResult.unknown(f"{where} cannot be resolved: {env.reason}", base)
    if not isinstance(env, dict):
        return CheckResult.unknown(f"{where} is {describe(env)}, not a mapping", base)
    variables = env.get("Variables")
    if variables is None:
        return None
    vpath = base + ("Variables",) if base else base
    if isinstance(variables, Unknown):
        return CheckResult.unknown(f"{where}.Variables cannot be resolved: "
                                   f"{variables.reason}", vpath)
    if not isinstance(variables, dict):
        return CheckResult.unknown(f"{where}.Variables is {describe(variables)}, not a "
                                   f"mapping", vpath)
    return variables


def _global_environment(ctx: Any) -> Any:
    """``Globals.Function.Environment`` of the template, resolved; None when absent."""
    globals_ = ctx.template.template.get("Globals")
    function = globals_.get("Function") if isinstance(globals_, dict) else None
    env = function.get("Environment") if isinstance(function, dict) else None
    return None if env is None else ctx.resolve(env)


def _variable_results(name: str, value: Any, path: tuple[str | int, ...],
                      label: str) -> list[CheckResult]:
    if isinstance(value, (Unknown, ResourceRef, AttrRef)) or not isinstance(value, str):
        return []
    found = sorted(set(findings_in(value)))
    out = [CheckResult.failed(f"{label} contains {f}", path) for f in found]
    text = value.strip()
    if found or not text or _HARMLESS.fullmatch(text) or is_opaque(text):
        return out
    if SECRET_NAME.search(str(name)) and not POINTER_SUFFIX.search(str(name)):
        out.append(CheckResult.failed(
            f"{label} holds a literal value ({redact(text)}): use a Secrets Manager secret "
            f"read at run time, or a dynamic reference", path))
    return out


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    base = ("Properties", "Environment")
    env = resource.properties.get("Environment")
    own = _variables(env, base, "Environment")
    if isinstance(own, CheckResult):
        return own
    # name -> (value, path, label); a SAM function's own variables override the globals.
    merged: dict[str, tuple[Any, tuple[str | int, ...], str]] = {}
    if resource.type == SAM_FUNCTION:
        inherited = _variables(_global_environment(ctx), (), _GLOBALS)
        if isinstance(inherited, CheckResult):
            return inherited
        for name, value in (inherited or {}).items():
            merged[str(name)] = (value, (), f"variable {name} (inherited from "
                                            f"{_GLOBALS}.Variables)")
    for name, value in (own or {}).items():
        merged[str(name)] = (value, base + ("Variables", name), f"variable {name}")
    if not merged and own is None:
        return CheckResult.not_applicable("no Environment" if env is None else
                                          "no Environment.Variables")
    failing: list[CheckResult] = []
    for name, (value, path, label) in merged.items():
        failing.extend(_variable_results(name, value, path, label))
    where = base + ("Variables",) if own is not None else ()
    return failing or CheckResult.passed(
        f"{len(merged)} environment variable(s), none holds a literal secret", where)


RULE = Rule(
    id="GOV-LAMBDA-001",
    backlog=("CMP-4",),
    name="function_env_no_secrets",
    title="Lambda function environment variables hold no literal secrets",
    scope="resource",
    resource_types=("AWS::Lambda::Function", "AWS::Serverless::Function"),
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
        "AWS Serverless Application Model Developer Guide: AWS::Serverless::Function "
        "(Environment); Globals section of the AWS SAM template",
        "NIST SP 800-53 Rev 5: IA-5(7) No Embedded Unencrypted Static Authenticators",
    ),
    equivalents={"checkov": ("CKV_AWS_45",), "guard": (), "cdk-nag": ()},
)
