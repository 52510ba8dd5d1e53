"""GOV-RDS-002: RDS DB instances and clusters encrypt storage with a customer-managed KMS key.

Source: RULES.md KMS-5; Amazon RDS User Guide, "Encrypting Amazon RDS resources" (without
``KmsKeyId`` an encrypted database uses the AWS-managed key ``aws/rds``; encryption cannot be
turned on for an existing database); Amazon Aurora User Guide, "Encrypting Amazon Aurora
resources" (cluster members take the cluster's encryption; Aurora Serverless v1 clusters are
always encrypted). CloudFormation: ``StorageEncrypted`` defaults to false.

Checked: ``StorageEncrypted`` true and ``KmsKeyId`` a customer-managed key
(:func:`govcdk.policies.helpers.kms_key_result`). A DB instance with ``DBClusterIdentifier`` or
an ``aurora*`` engine is NOT_APPLICABLE (its cluster decides). A database restored from a snapshot or created as a read
replica (``DBSnapshotIdentifier``, ``SourceDBInstanceIdentifier``, ``SnapshotIdentifier``,
``SourceDBClusterIdentifier``) without ``StorageEncrypted`` inherits the source's encryption,
which the template does not show: UNKNOWN unless ``KmsKeyId`` names a customer-managed key;
without ``KmsKeyId`` it keeps its source's key too (UNKNOWN, not the aws/rds default).
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, describe, kms_key_result, literal
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import Unknown
from .._kms import with_key
from .database_backup_protection import cluster_member

SOURCES = ("DBSnapshotIdentifier", "SourceDBInstanceIdentifier", "SnapshotIdentifier",
           "SourceDBClusterIdentifier", "SourceDBInstanceAutomatedBackupsArn",
           "SourceDbiResourceId")


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    member = cluster_member(resource)
    if member:
        return [CheckResult.not_applicable(
            f"{member}: the cluster's StorageEncrypted and KmsKeyId decide")]
    key = kms_key_result(
        props.get("KmsKeyId"), ("Properties", "KmsKeyId"), ctx.type_of,
        absent="KmsKeyId not set: storage is encrypted with the AWS-managed key aws/rds, not a "
               "customer-managed key")
    path = ("Properties", "StorageEncrypted")
    raw = props.get("StorageEncrypted")
    encrypted = as_bool(raw)
    source = next((s for s in SOURCES if props.get(s) is not None), None)
    if source is not None and props.get("KmsKeyId") is None and encrypted is not False:
        # a restored database or replica keeps its source's key unless KmsKeyId names one
        key = CheckResult.unknown(f"KmsKeyId not set: the database takes the KMS key of its "
                                  f"source ({source}), which the template does not show",
                                  ("Properties", "KmsKeyId"))
    out: list[CheckResult] = []
    if isinstance(encrypted, Unknown):
        out.append(CheckResult.unknown(f"StorageEncrypted cannot be resolved: "
                                       f"{encrypted.reason}", path))
    elif raw is None:
        mode = literal(props.get("EngineMode"), "EngineMode")
        if resource.type == "AWS::RDS::DBCluster" and isinstance(mode, Unknown) \
                and source is None:
            out.append(CheckResult.unknown(
                f"StorageEncrypted not set and EngineMode cannot be resolved ({mode.reason}): "
                f"an Aurora Serverless v1 cluster is always encrypted, any other cluster "
                f"defaults to unencrypted storage", path))
        elif resource.type == "AWS::RDS::DBCluster" and not isinstance(mode, Unknown) \
                and mode == "serverless":
            pass    # Aurora Serverless v1: always encrypted; KmsKeyId decides the key
        elif source is not None:
            if key.status != Status.PASS:
                out.append(CheckResult.unknown(
                    f"StorageEncrypted not set: the database takes the encryption of its source "
                    f"({source}), which the template does not show", path))
        else:
            out.append(CheckResult.failed("StorageEncrypted not set (defaults to false): "
                                          "storage is not encrypted", path))
    elif encrypted is not True:
        out.append(CheckResult.failed(f"StorageEncrypted is {describe(raw)}: storage is not "
                                      f"encrypted", path))
    return with_key(out, key, props.get("KmsKeyId"))


RULE = Rule(
    id="GOV-RDS-002",
    backlog=("KMS-5",),
    name="storage_cmk_encryption",
    title="RDS DB instances and clusters encrypt storage with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"),
    controls=("SC-28", "SC-28(1)", "SC-13"),
    severity=Severity.HIGH,
    rationale=(
        "SC-28(1) requires cryptographic protection of information at rest with keys the agency "
        "controls (SC-13). RDS storage is unencrypted unless StorageEncrypted is true, and "
        "encryption cannot be added later without a snapshot copy and restore. Without "
        "KmsKeyId the AWS-managed aws/rds key is used: its policy cannot be scoped, and "
        "snapshots encrypted with it cannot be shared with another account."),
    remediation=(
        "CDK: rds.DatabaseInstance(..., storage_encrypted=True, storage_encryption_key=key) or "
        "rds.DatabaseCluster(..., storage_encrypted=True, storage_encryption_key=key). "
        "CloudFormation: StorageEncrypted: true and KmsKeyId set to a customer-managed key "
        "(Fn::GetAtt Key.Arn) on AWS::RDS::DBInstance (non-Aurora) or AWS::RDS::DBCluster."),
    check=check,
    references=(
        "Amazon RDS User Guide: Encrypting Amazon RDS resources",
        "Amazon Aurora User Guide: Encrypting Amazon Aurora resources",
        "AWS CloudFormation User Guide: AWS::RDS::DBInstance, AWS::RDS::DBCluster "
        "StorageEncrypted, KmsKeyId",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-28(1) "
        "Cryptographic Protection; SC-13 Cryptographic Protection",
    ),
    equivalents={"checkov": ("CKV_AWS_16", "CKV_AWS_96"), "guard": ("RDS_STORAGE_ENCRYPTED",),
                 "cdk-nag": ("NIST.800.53.R5-RDSStorageEncrypted", "AwsSolutions-RDS2")},
)
