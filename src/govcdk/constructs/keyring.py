"""AgencyKeyring: one customer-managed KMS key per purpose (SC-12, SC-12(1), SC-13, SC-28(1))."""

from __future__ import annotations

import re
from typing import Sequence

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

DEFAULT_PURPOSES: tuple[str, ...] = (
    "ebs", "fsx", "s3-data", "logs", "cloudtrail", "secrets", "backup", "ssm-sessions",
)
"""Key purposes made by default (GOVCLOUD.md, "KMS")."""

_PURPOSE_RE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")

_USE_ACTIONS = [
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
]


class UnknownKeyPurposeError(KeyError):
    """Raised by :meth:`AgencyKeyring.key_for` for a purpose the keyring does not hold."""

    def __str__(self) -> str:  # KeyError quotes its argument; give the plain message
        return str(self.args[0])


class AgencyKeyring(Construct):
    """Per-purpose customer-managed keys for one agency.

    Each key: symmetric, automatic rotation on with ``RotationPeriodInDays`` 365
    (``rotation_period_days``, KMS allows 90..2560; SC-12(1)), pending-deletion window 30 days,
    retained on stack deletion, alias ``alias/<agency_code>/<purpose>``. Aliases and
    descriptions are built only from the agency code and the purpose: KMS metadata may leave
    the GovCloud boundary (AWS GovCloud (US) User Guide, "Export-controlled content").

    Service statements in the key policies:

    - ``logs``: CloudWatch Logs in this region, limited by the encryption-context condition
      ``kms:EncryptionContext:aws:logs:arn`` to this account's log groups (CloudWatch Logs User
      Guide, "Encrypt log data in CloudWatch Logs using AWS KMS").
    - ``ebs``: the EC2 Auto Scaling service-linked role
      (``arn:<partition>:iam::<account>:role/aws-service-role/autoscaling.amazonaws.com/
      AWSServiceRoleForAutoScaling``) may use the key and create grants for AWS resources, or
      encrypted Auto Scaling launches fail (EC2 Auto Scaling User Guide, "Required AWS KMS key
      policy for use with encrypted volumes"). The role must exist in the account before the
      keys stack is deployed.

    :param agency_code: short agency code (``AgencyConfig.agency.code``).
    :param purposes: key purposes, default :data:`DEFAULT_PURPOSES`; each 2..32 chars of
        ``a-z0-9-`` starting with a letter.
    :param rotation_period_days: 90..2560, default 365.
    :raises ValueError: for a bad purpose name, duplicate purposes, or a rotation period
        outside 90..2560.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        agency_code: str,
        purposes: Sequence[str] = DEFAULT_PURPOSES,
        rotation_period_days: int = 365,
    ) -> None:
        super().__init__(scope, id)
        if not 90 <= rotation_period_days <= 2560:
            raise ValueError(
                f"rotation_period_days={rotation_period_days}: KMS allows 90..2560 days; "
                "FedRAMP SC-12 expects 365 or less")
        seen: set[str] = set()
        for p in purposes:
            if not _PURPOSE_RE.match(p):
                raise ValueError(
                    f"key purpose {p!r}: allowed are 2..32 characters a-z, 0-9 and '-', "
                    "starting with a letter")
            if p in seen:
                raise ValueError(f"key purpose {p!r} given twice")
            seen.add(p)
        self.agency_code = agency_code
        self._keys: dict[str, kms.Key] = {}
        for purpose in purposes:
            key = kms.Key(
                self,
                _construct_id(purpose),
                alias=f"alias/{agency_code}/{purpose}",
                description=f"govcdk {agency_code} {purpose} key",
                enable_key_rotation=True,
                rotation_period=Duration.days(rotation_period_days),
                pending_window=Duration.days(30),
                removal_policy=RemovalPolicy.RETAIN,
            )
            self._keys[purpose] = key
            self._add_service_statements(purpose, key)

    @property
    def purposes(self) -> list[str]:
        return list(self._keys)

    def key_for(self, purpose: str) -> kms.Key:
        """The key for ``purpose``; raises :class:`UnknownKeyPurposeError` listing the purposes held."""
        try:
            return self._keys[purpose]
        except KeyError:
            raise UnknownKeyPurposeError(
                f"no key for purpose {purpose!r}; this keyring holds: {', '.join(self._keys)}"
            ) from None

    def _add_service_statements(self, purpose: str, key: kms.Key) -> None:
        if purpose == "logs":
            key.add_to_resource_policy(iam.PolicyStatement(
                sid="CloudWatchLogsUse",
                principals=[iam.ServicePrincipal(f"logs.{Stack.of(self).region}.amazonaws.com")],
                actions=_USE_ACTIONS,
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                    f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"}},
            ))
        if purpose == "ebs":
            slr = iam.ArnPrincipal(
                f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/aws-service-role/"
                "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
            key.add_to_resource_policy(iam.PolicyStatement(
                sid="AutoScalingServiceLinkedRoleUse", principals=[slr], actions=_USE_ACTIONS,
                resources=["*"]))
            key.add_to_resource_policy(iam.PolicyStatement(
                sid="AutoScalingServiceLinkedRoleGrants", principals=[slr],
                actions=["kms:CreateGrant"], resources=["*"],
                conditions={"Bool": {"kms:GrantIsForAWSResource": True}}))


def _construct_id(purpose: str) -> str:
    return "".join(part.capitalize() for part in purpose.split("-")) + "Key"
