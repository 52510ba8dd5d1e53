"""AgencyKeyring: one customer-managed KMS key per purpose (SC-12, SC-12(1), SC-13, SC-28(1)),
with separation of duties in every key policy (AC-5, AC-6)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from govcdk import govcloud
from govcdk.config import AGENCY_CODE_RE

DEFAULT_PURPOSES: tuple[str, ...] = (
    "ebs", "fsx", "s3-data", "logs", "cloudtrail", "secrets", "backup", "ssm-sessions",
)
"""Key purposes made by default (GOVCLOUD.md, "KMS")."""

VIA_SERVICE: Mapping[str, str] = {
    "ebs": "ec2", "fsx": "fsx", "s3-data": "s3", "secrets": "secretsmanager",
    "backup": "backup", "ssm-sessions": "ssm", "cloudtrail": "s3",
}
"""The AWS service (``kms:ViaService`` = ``<service>.<region>.amazonaws.com``) through which
principals of the account may use each purpose's key. The ``cloudtrail`` key encrypts the log
archive (:class:`~govcdk.constructs.AuditLogging`): CloudTrail uses it through its service
statement, and the account's roles (the AWS Config delivery role, the S3 replication role,
auditors reading the logs) only through Amazon S3 and only with an IAM policy that allows it
(AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail", "Enable
CloudTrail log file decrypt permissions"). The ``logs`` key is used by its service principals
only (see :class:`AgencyKeyring`). A purpose not listed here has no user statement until
``via_services`` names its service."""

ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
    "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants",
    "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy",
    "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource",
    "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
)
"""What key administrators may do: manage, never use. Listed one by one, without wildcards:
``kms:Create*`` would include ``kms:CreateGrant``, with which an administrator could grant
itself decryption (AC-5 separation of duties)."""

USE_ACTIONS: tuple[str, ...] = (
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
)
"""What key users (and services) may do with a key (AWS KMS Developer Guide, "Allows key users
to use the KMS key")."""

GRANT_ACTIONS: tuple[str, ...] = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")

_PURPOSE_RE = re.compile(r"[a-z][a-z0-9-]{1,31}")
MIN_JUSTIFICATION = 20


class UnknownKeyPurposeError(KeyError):
    """Raised by :meth:`AgencyKeyring.key_for` for a purpose the keyring does not hold."""

    def __str__(self) -> str:  # KeyError quotes its argument; give the plain message
        return str(self.args[0])


@dataclass(frozen=True)
class _Principals:
    admins: list[iam.IPrincipal]
    users: list[iam.IPrincipal]


class AgencyKeyring(Construct):
    """Per-purpose customer-managed keys for one agency.

    Each key: symmetric, automatic rotation on with ``RotationPeriodInDays``
    ``rotation_period_days`` (default 365; KMS allows 90..2560; SC-12(1)), pending-deletion
    window 30 days, ``DeletionPolicy``/``UpdateReplacePolicy`` Retain, alias
    ``alias/<agency_code>/<purpose>``. Aliases and descriptions are built only from the agency
    code and the purpose: KMS metadata may leave the GovCloud boundary (AWS GovCloud (US) User
    Guide, "Export-controlled content").

    Key policy (AWS KMS Developer Guide, "Default key policy"; AC-5, AC-6, SC-12):

    - ``KeyAdministration``: ``administrators`` (default: the account, so IAM policies decide)
      may run :data:`ADMIN_ACTIONS` only: manage, never encrypt, decrypt or create grants.
    - ``KeyUse`` / ``KeyGrantsForAwsResources``: ``users`` (default: the account's principals,
      through their IAM policies) may run :data:`USE_ACTIONS`, and create grants only with
      ``kms:GrantIsForAWSResource``, both only through the purpose's service
      (``kms:ViaService``, :data:`VIA_SERVICE`) and from this account (``kms:CallerAccount``).
    - ``logs`` key: CloudWatch Logs of this region (``logs.<region>.amazonaws.com``) with the
      encryption context ``kms:EncryptionContext:aws:logs:arn`` limited to this account's log
      groups (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"),
      and flow-log delivery to S3 (``delivery.logs.amazonaws.com``) limited by
      ``aws:SourceAccount`` and ``aws:SourceArn`` (VPC User Guide, "Flow logs to Amazon S3").
    - ``cloudtrail`` key: CloudTrail (``cloudtrail.amazonaws.com``) may generate data keys for
      this account's trails only (``aws:SourceArn`` and the encryption context
      ``kms:EncryptionContext:aws:cloudtrail:arn``; CloudTrail User Guide, "Configure AWS KMS
      key policies for CloudTrail"); and, like the other purposes, the account's principals
      through Amazon S3 (:data:`VIA_SERVICE`), to write and read the log archive.
    - ``ebs`` key: the EC2 Auto Scaling service-linked role
      (``arn:<partition>:iam::<account>:role/aws-service-role/autoscaling.amazonaws.com/
      AWSServiceRoleForAutoScaling``) may use the key and create grants for AWS resources, or
      encrypted Auto Scaling launches fail (EC2 Auto Scaling User Guide, "Required AWS KMS key
      policy for use with encrypted volumes"). The role must exist in the account before the
      keys stack is deployed.

    No statement allows the ``*`` principal.

    :param agency_code: short agency code (``AgencyConfig.agency.code``), 1..12 chars ``a-z0-9``.
    :param purposes: key purposes, default :data:`DEFAULT_PURPOSES`; each 2..32 chars of
        ``a-z0-9-`` starting with a letter.
    :param rotation_period_days: 90..2560, default 365.
    :param administrators: principals that manage the keys (roles given to the construct);
        default the account root, which delegates to IAM policies.
    :param users: principals that may use the keys through their services; default the
        account root (IAM policies decide, still limited by ``kms:ViaService``).
    :param via_services: extra or changed ``purpose -> service`` entries for
        :data:`VIA_SERVICE` (a custom purpose needs one to have users).
    :param multi_region: make multi-Region keys (default False). Their key material leaves the
        Region, so it needs ``multi_region_justification`` (at least 20 characters), which is
        recorded in each key's ``Metadata.govcdk`` for the assessor.
    :param allow_commercial: allow a stack region outside AWS GovCloud (US) (default False).
    :raises ValueError: for a bad agency code or purpose name, no or duplicate purposes, a
        rotation period that is not a whole number of days in 90..2560, a region outside
        GovCloud, multi-Region keys without a justification (at least 20 letters or digits), an
        administrator or user that is ``*``, another account or an IAM-user-less principal
        (anything but a role or principal of this account), or the same principal as both
        administrator and user (it could then manage and use the key).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        agency_code: str,
        purposes: Sequence[str] = DEFAULT_PURPOSES,
        rotation_period_days: int = 365,
        administrators: Sequence[iam.IPrincipal] = (),
        users: Sequence[iam.IPrincipal] = (),
        via_services: Mapping[str, str] | None = None,
        multi_region: bool = False,
        multi_region_justification: str | None = None,
        allow_commercial: bool = False,
    ) -> None:
        super().__init__(scope, id)
        if not (isinstance(agency_code, str) and AGENCY_CODE_RE.fullmatch(agency_code)):
            raise ValueError(f"agency_code {agency_code!r}: allowed are 1..12 characters a-z and "
                             "0-9, starting with a letter")
        if isinstance(rotation_period_days, bool) or not isinstance(rotation_period_days, int) \
                or not 90 <= rotation_period_days <= 2560:
            raise ValueError(
                f"rotation_period_days={rotation_period_days}: KMS allows 90..2560 days; "
                "FedRAMP SC-12 expects 365 or less")
        if isinstance(purposes, str) or not purposes:
            raise ValueError(f"purposes={purposes!r}: give a non-empty list of purpose names, "
                             f"e.g. {list(DEFAULT_PURPOSES[:2])}")
        seen: set[str] = set()
        for p in purposes:
            if not (isinstance(p, str) and _PURPOSE_RE.fullmatch(p)):
                raise ValueError(
                    f"key purpose {p!r}: allowed are 2..32 characters a-z, 0-9 and '-', "
                    "starting with a letter")
            if p in seen:
                raise ValueError(f"key purpose {p!r} given twice")
            seen.add(p)
        govcloud.check_stack_region(Stack.of(self).region, allow_commercial=allow_commercial)
        _check_principals(administrators, users)
        if multi_region_justification is not None and not multi_region:
            raise ValueError("multi_region_justification is given but multi_region is False")
        if multi_region and len(re.sub(r"[\W_]", "", multi_region_justification or "")) < MIN_JUSTIFICATION:
            raise ValueError(
                "multi_region=True needs multi_region_justification: at least "
                f"{MIN_JUSTIFICATION} characters saying why key material may leave the Region")
        if multi_region:
            Annotations.of(self).add_warning_v2(
                "govcdk:multiRegionKeys",
                f"multi-Region keys: {multi_region_justification.strip()}")  # type: ignore[union-attr]
        self.agency_code = agency_code
        self._via = {**VIA_SERVICE, **dict(via_services or {})}
        root = iam.AccountRootPrincipal()
        self._principals = _Principals(admins=list(administrators) or [root],
                                       users=list(users) or [root])
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
                multi_region=multi_region or None,
                policy=iam.PolicyDocument(statements=self._statements(purpose)),
            )
            if multi_region:
                cfn = key.node.default_child
                assert isinstance(cfn, kms.CfnKey)
                cfn.add_metadata("govcdk", {"multi_region_justification":
                                            multi_region_justification.strip()})  # type: ignore[union-attr]
            self._keys[purpose] = key

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

    def grant_encrypt_decrypt(self, purpose: str, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` use the ``purpose`` key (IAM policy on the grantee). The key policy
        still limits use to the purpose's service (``kms:ViaService``) and this account.
        Raises :class:`UnknownKeyPurposeError`."""
        return self.key_for(purpose).grant_encrypt_decrypt(grantee)

    def grant_decrypt(self, purpose: str, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` decrypt with the ``purpose`` key; see :meth:`grant_encrypt_decrypt`."""
        return self.key_for(purpose).grant_decrypt(grantee)

    # -- key policy -------------------------------------------------------------------------

    def _statements(self, purpose: str) -> list[iam.PolicyStatement]:
        stack = Stack.of(self)
        region, account, partition = stack.region, stack.account, stack.partition
        statements = [iam.PolicyStatement(
            sid="KeyAdministration", principals=self._principals.admins,
            actions=list(ADMIN_ACTIONS), resources=["*"])]
        service = self._via.get(purpose)
        if service:
            via = {"kms:ViaService": f"{service}.{region}.amazonaws.com", "kms:CallerAccount": account}
            statements.append(iam.PolicyStatement(
                sid="KeyUse", principals=self._principals.users, actions=list(USE_ACTIONS),
                resources=["*"], conditions={"StringEquals": via}))
            statements.append(iam.PolicyStatement(
                sid="KeyGrantsForAwsResources", principals=self._principals.users,
                actions=list(GRANT_ACTIONS), resources=["*"],
                conditions={"StringEquals": via, "Bool": {"kms:GrantIsForAWSResource": True}}))
        if purpose == "logs":
            statements.append(iam.PolicyStatement(
                sid="CloudWatchLogsUse",
                principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
                actions=list(USE_ACTIONS), resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                    f"arn:{partition}:logs:{region}:{account}:log-group:*"}}))
            statements.append(iam.PolicyStatement(
                sid="LogDeliveryUse",
                principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                actions=list(USE_ACTIONS), resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": account},
                            "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account}:*"}}))
        if purpose == "cloudtrail":
            trails = f"arn:{partition}:cloudtrail:{region}:{account}:trail/*"
            statements.append(iam.PolicyStatement(
                sid="CloudTrailEncrypt",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:DescribeKey"], resources=["*"],
                conditions={"ArnLike": {"aws:SourceArn": trails,
                                        "kms:EncryptionContext:aws:cloudtrail:arn":
                                            f"arn:{partition}:cloudtrail:*:{account}:trail/*"}}))
        if purpose == "ebs":
            slr = iam.ArnPrincipal(
                f"arn:{partition}:iam::{account}:role/aws-service-role/"
                "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
            statements.append(iam.PolicyStatement(
                sid="AutoScalingServiceLinkedRoleUse", principals=[slr], actions=list(USE_ACTIONS),
                resources=["*"]))
            statements.append(iam.PolicyStatement(
                sid="AutoScalingServiceLinkedRoleGrants", principals=[slr],
                actions=["kms:CreateGrant"], resources=["*"],
                conditions={"Bool": {"kms:GrantIsForAWSResource": True}}))
        return statements


def _check_principals(administrators: Sequence[iam.IPrincipal], users: Sequence[iam.IPrincipal]) -> None:
    """Administrators and users must be principals of this account, never ``*``, and no
    principal may be both (AC-5)."""
    for role, principals in (("administrators", administrators), ("users", users)):
        if principals is None or isinstance(principals, (str, iam.PrincipalBase)):
            raise ValueError(f"{role}: give a list of IAM principals (roles of this account)")
        for p in principals:
            if isinstance(p, str) or not hasattr(p, "policy_fragment"):
                raise ValueError(f"{role}: {p!r} is not an IAM principal; give roles, e.g. "
                                 "iam.Role.from_role_name(stack, 'KeyAdmin', 'KeyAdmin')")
            if isinstance(p, (iam.AnyPrincipal, iam.StarPrincipal)):
                raise ValueError(f"{role}: the '*' principal is not allowed in a key policy")
            if isinstance(p, iam.AccountPrincipal) and not isinstance(p, iam.AccountRootPrincipal):
                raise ValueError(f"{role}: another account ({p.account_id}) is not allowed; give "
                                 "roles of this account")
    shared = {repr(p.policy_fragment.principal_json) for p in administrators} & \
        {repr(p.policy_fragment.principal_json) for p in users}
    if shared:
        raise ValueError("a principal may not be both administrator and user of the keys "
                         "(separation of duties, AC-5)")


def _construct_id(purpose: str) -> str:
    return "".join(part.capitalize() for part in purpose.split("-")) + "Key"
