"""GOV-DYNAMODB-002: DynamoDB tables are encrypted with a customer-managed KMS key.

Source: RULES.md KMS-5; Amazon DynamoDB Developer Guide, "DynamoDB encryption at rest" (three
options: an AWS-owned key, the default, used when ``SSEEnabled`` is false or unset; the
AWS-managed key ``aws/dynamodb`` when ``SSEEnabled`` is true without ``KMSMasterKeyId``; a
customer-managed key). CloudFormation ``AWS::DynamoDB::Table`` ``SSESpecification`` (``SSEType``
``KMS``, the only accepted type and the default when ``SSEEnabled`` is true) and
``AWS::DynamoDB::GlobalTable`` (``SSESpecification`` for the table, ``KMSMasterKeyId`` per
replica in ``Replicas[].SSESpecification``). The key decision is
:func:`govcdk.policies.helpers.kms_key_result`.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, describe, kms_key_result, literal
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import Unknown

AWS_MANAGED = ("KMSMasterKeyId not set: the table is encrypted with the AWS-managed key "
               "aws/dynamodb, not a customer-managed key")


def _sse_results(sse: Any, base: tuple[str | int, ...]) -> list[CheckResult]:
    """Findings on ``SSEEnabled``/``SSEType`` of a resolved ``SSESpecification``."""
    if isinstance(sse, Unknown):
        return [CheckResult.unknown(f"SSESpecification cannot be resolved: {sse.reason}", base)]
    if not isinstance(sse, dict):
        return [CheckResult.failed("SSESpecification not set: the table is encrypted with an "
                                   "AWS-owned key, not a customer-managed key", base)]
    out: list[CheckResult] = []
    raw = sse.get("SSEEnabled")
    enabled = as_bool(raw)
    if isinstance(enabled, Unknown):
        out.append(CheckResult.unknown(f"SSEEnabled cannot be resolved: {enabled.reason}",
                                       base + ("SSEEnabled",)))
    elif enabled is not True:
        shown = "not set" if raw is None else f"{describe(raw)}"
        out.append(CheckResult.failed(f"SSEEnabled is {shown}: the table is encrypted with an "
                                      f"AWS-owned key, not a customer-managed key",
                                      base + ("SSEEnabled",)))
    sse_type = literal(sse.get("SSEType", "KMS"), "SSEType")
    if isinstance(sse_type, Unknown):
        out.append(CheckResult.unknown(f"SSEType cannot be resolved: {sse_type.reason}",
                                       base + ("SSEType",)))
    elif sse_type != "KMS":
        out.append(CheckResult.failed(f"SSEType is {describe(sse_type)}, not KMS",
                                      base + ("SSEType",)))
    return out


def _key(sse: Any, base: tuple[str | int, ...], ctx: Any, subject: str = "") -> CheckResult:
    value = sse.get("KMSMasterKeyId") if isinstance(sse, dict) else None
    return kms_key_result(value, base + ("KMSMasterKeyId",), ctx.type_of,
                          subject=f"{subject}KMSMasterKeyId", absent=subject + AWS_MANAGED)


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    base = ("Properties", "SSESpecification")
    sse = props.get("SSESpecification")
    out = _sse_results(sse, base)
    if resource.type == "AWS::DynamoDB::Table":
        if isinstance(sse, dict):
            key = _key(sse, base, ctx)
            if key.status != Status.PASS or not out:
                out.append(key)
        return out
    replicas = props.get("Replicas")
    rpath = ("Properties", "Replicas")
    if isinstance(replicas, Unknown):
        return out + [CheckResult.unknown(f"Replicas cannot be resolved: {replicas.reason}",
                                          rpath)]
    if not isinstance(replicas, list) or not replicas:
        return out + [CheckResult.failed(f"Replicas is {describe(replicas)}: no replica to "
                                         f"check", rpath)]
    keys: list[CheckResult] = []
    for i, replica in enumerate(replicas):
        region = replica.get("Region") if isinstance(replica, dict) else None
        subject = f"replica {region if isinstance(region, str) else i}: "
        if isinstance(replica, Unknown):
            keys.append(CheckResult.unknown(f"{subject}cannot be resolved: {replica.reason}",
                                            rpath + (i,)))
            continue
        rsse = replica.get("SSESpecification") if isinstance(replica, dict) else None
        if isinstance(rsse, Unknown):
            keys.append(CheckResult.unknown(f"{subject}SSESpecification cannot be resolved: "
                                            f"{rsse.reason}", rpath + (i, "SSESpecification")))
            continue
        keys.append(_key(rsse, rpath + (i, "SSESpecification"), ctx, subject))
    failing = [k for k in keys if k.status != Status.PASS]
    if failing or out:
        return out + failing
    return [CheckResult.passed(f"{len(keys)} replica(s) encrypted with customer-managed keys",
                               rpath)]


RULE = Rule(
    id="GOV-DYNAMODB-002",
    backlog=("KMS-5",),
    name="table_cmk_encryption",
    title="DynamoDB tables are encrypted with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"),
    controls=("SC-28", "SC-28(1)", "SC-13"),
    severity=Severity.MEDIUM,
    rationale=(
        "SC-28(1) requires cryptographic protection of information at rest with keys the agency "
        "controls (SC-13). DynamoDB always encrypts, but by default with an AWS-owned key the "
        "agency cannot see, scope or revoke, and with SSEEnabled alone with the AWS-managed "
        "aws/dynamodb key whose policy cannot be changed. Only a customer-managed key puts "
        "table decryption under the agency's key policy and in its CloudTrail."),
    remediation=(
        "CDK: dynamodb.TableV2(self, 'Table', encryption=dynamodb.TableEncryptionV2."
        "customer_managed_key(key)) (or dynamodb.Table(..., encryption=dynamodb.TableEncryption."
        "CUSTOMER_MANAGED, encryption_key=key)). CloudFormation: SSESpecification SSEEnabled: "
        "true, SSEType: KMS, KMSMasterKeyId set to a customer-managed key (per replica of an "
        "AWS::DynamoDB::GlobalTable)."),
    check=check,
    references=(
        "Amazon DynamoDB Developer Guide: DynamoDB encryption at rest",
        "AWS CloudFormation User Guide: AWS::DynamoDB::Table SSESpecification; "
        "AWS::DynamoDB::GlobalTable SSESpecification, ReplicaSSESpecification",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-28(1) "
        "Cryptographic Protection; SC-13 Cryptographic Protection",
    ),
    equivalents={"checkov": ("CKV_AWS_119",)},
)
