"""The agency file: one declarative YAML document per agency deployment, validated.

Shape (every field; defaults in brackets)::

    agency:
      code: airx                 # 2..12 chars, a-z then a-z0-9; names KMS aliases and stacks
      name: AI Research Enclave  # free text, 3..80 chars
      system_id: AIRX-0001       # the FedRAMP system identifier, A-Z0-9 and '-'
    impact_level: high           # low | moderate | high (FIPS 199 / FedRAMP baseline)
    data_classification: cui     # public | internal | cui | fti | phi [cui]
    account: "111111111111"      # 12-digit AWS GovCloud account id
    region: us-gov-west-1        # us-gov-west-1 | us-gov-east-1
    network:
      cidr: 10.40.0.0/16         # private (RFC 1918) IPv4, prefix /16../24
      az_count: 3                # 2..3 [3]
    cluster:
      instance_type: p5.48xlarge # EFA-capable, offered in the region (cfn-lint's region data)
      node_count: 2              # 1..64
      availability_zone: us-gov-west-1a   # one of the network's AZs [the first]
      ami_ssm_parameter: /govcdk/airx/gpu-ami   # SSM parameter holding the AMI id [see below]
      # ami_ids: {us-gov-west-1: ami-0123456789abcdef0}   # or an AMI id for the region
      containers: false          # IMDS hop limit 2 for containers [false]
      root_volume_gib: 512       # 8..16384 [512]
      capacity:                  # [on-demand in a cluster placement group]
        type: capacity-block     # on-demand | capacity-reservation | capacity-block
        reservation_id: cr-0123456789abcdef0   # for the two reservation types
      lustre:                    # shared FSx for Lustre PERSISTENT_2 storage [none]
        storage_capacity_gib: 4800   # 1200 or a multiple of 2400 [1200]; with EFA a multiple of
                                     # 38400 | 19200 | 9600 | 4800 at 125 | 250 | 500 | 1000
        throughput_per_tib: 1000     # 125 | 250 | 500 | 1000 MB/s per TiB [250]
        efa: true                    # EfaEnabled (GPUDirect Storage) [automatic: on when the
                                     # capacity is an EFA size for the throughput]
        backup_retention_days: 7     # 0..90 [7]
    logging:
      retention_days: 365        # CloudWatch Logs retention; >= 365 (AU-11, OMB M-21-31) [365]
    audit:                       # the log archive and monitoring services [all defaults]
      trail: create              # create | landing_zone: who provides each service [create]
      config: create             #   (landing_zone: the agency's landing zone already runs it
      guardduty: create          #    in this account and Region; govcdk creates nothing for it)
      security_hub: create
      object_lock_mode: compliance  # compliance | governance [compliance at high, else
                                    #   governance]; high allows compliance only (AU-9)
      object_lock_days: 913      # Object Lock default retention, 365..36500 days; at high
                                 #   913..36500 (the whole M-21-31 retention) [913]
      online_days: 365           # days in S3 Standard before the archive tier, >= 365 [365]
      archive_storage_class: glacier   # glacier | deep_archive [glacier]
      expiration_days: null      # delete after this many days: >= 913 and >= object_lock_days,
                                 #   or null to keep forever (OMB M-21-31: 30 months) [null]
      replication: true          # replicate the archive to the other GovCloud Region
                                 #   [true at high, else false]; high requires true (AU-9(2))
      data_event_buckets: []     # more S3 bucket names whose object-level (data) events the
                                 #   trail records, besides the audit buckets; only with
                                 #   trail: create [none]
    tags:                        # more tags on every resource [none]; key 1..128, value
      cost-center: "1234"        #   0..256 characters of letters, digits, spaces and _.:/=+-@;
                                 #   no aws: or govcdk: key prefix; at most 40

Cross-field rules: a ``capacity-block`` needs an instance type EC2 sells as Capacity Blocks
(:data:`govcdk.sizing.CAPACITY_BLOCK_INSTANCE_TYPES`); the cluster's subnet (``network.cidr``
split over ``az_count`` zones) must hold ``node_count`` nodes besides the network's interface
VPC endpoints and the Lustre file system (:func:`govcdk.sizing.max_nodes`).

Tags (the agency tags: agency code, system id, impact level, classification; and ``tags``)
leave the GovCloud boundary in AWS metadata (billing, Resource Groups, tag APIs), so they are
restricted to short identifiers and checked against AWS's tag rules (:func:`tag_problems`).

:func:`load_agency` raises :class:`AgencyConfigError` whose message names the file, the field,
the bad value and what is allowed; the CLI prints it and exits 2.
"""

from __future__ import annotations

import datetime
import enum
import ipaddress
import re
import typing
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govcdk import govcloud, instances, sizing

VALID_LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)
"""Values CloudWatch Logs accepts for ``RetentionInDays`` (CloudWatch Logs API, PutRetentionPolicy)."""

MIN_LOG_RETENTION_DAYS = 365
"""AU-11 floor: FedRAMP defers to OMB M-21-31, 12 months of active storage."""


NETWORK_ENDPOINT_PROFILE = "gpu-training"
"""The interface endpoint profile of an agency's network (:mod:`govcdk.endpoints`); the
``NetworkStack`` creates it, the loader counts its endpoints in the cluster's subnet."""


AGENCY_CODE_RE = re.compile(r"[a-z][a-z0-9]{0,11}")
"""What the constructs accept as an agency code (``fullmatch``): 1..12 characters a-z and 0-9,
starting with a letter. It names log groups and KMS aliases, metadata that leaves the GovCloud
boundary. Agency files ask for 2..12."""


class AgencyConfigError(Exception):
    """An agency file that cannot be used. ``str()`` is the whole message for the user."""


TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAG_PUNCTUATION = "_.:/=+-@"
MAX_EXTRA_TAGS = 40
"""At most this many ``tags`` in an agency file: AWS allows 50 tags per resource, and govcdk adds
its four agency tags (room is left for tags a landing zone adds)."""
RESERVED_TAG_PREFIXES = ("aws:", "govcdk:")


def tag_problems(key: str, value: str) -> list[str]:
    """What is wrong with a tag for AWS, as sentences; empty when nothing is.

    AWS rules (Tagging AWS Resources User Guide, "Tag naming limits and requirements"): key 1..128
    and value 0..256 Unicode characters, each a letter, digit or space separator
    (``^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$``) or one of ``_ . : / = + - @``; keys starting with
    ``aws:`` are reserved for AWS (any case). govcdk also reserves ``govcdk:``, its own agency
    tags. Tags are metadata that leaves the AWS GovCloud (US) boundary (billing, Resource
    Groups, tag APIs): never put CUI or other sensitive data in them.
    """
    out: list[str] = []
    for what, text, limit, least in (("key", key, TAG_KEY_MAX, 1), ("value", value, TAG_VALUE_MAX, 0)):
        if not isinstance(text, str):
            out.append(f"tag {what} must be a string")
            continue
        if not least <= len(text) <= limit:
            out.append(f"tag {what} must be {least}..{limit} characters (has {len(text)})")
        bad = sorted({c for c in text if not (unicodedata.category(c)[0] in "LZN" or c in TAG_PUNCTUATION)})
        if bad:
            shown = ", ".join(repr(c) for c in bad[:5])
            out.append(f"tag {what} has characters AWS does not allow in tags ({shown}); allowed: "
                       f"letters, digits, spaces and {' '.join(TAG_PUNCTUATION)}")
    if isinstance(key, str):
        for prefix in RESERVED_TAG_PREFIXES:
            if key.lower().startswith(prefix):
                owner = "AWS" if prefix == "aws:" else "govcdk's agency tags"
                out.append(f"tag key prefix {prefix!r} is reserved for {owner}")
    return out


TAGS_LEAVE_BOUNDARY = ("tags leave the AWS GovCloud (US) boundary as AWS metadata: use short "
                       "identifiers, never sensitive data")


class ImpactLevel(str, enum.Enum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class DataClassification(str, enum.Enum):
    PUBLIC = "public"
    INTERNAL = "internal"
    CUI = "cui"
    FTI = "fti"
    PHI = "phi"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Agency(_Model):
    code: str = Field(pattern=r"^[a-z][a-z0-9]{1,11}$",
                      description="2..12 characters: a lower-case letter, then lower-case letters or digits")
    name: str = Field(min_length=3, max_length=80)
    system_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,31}$",
                           description="upper-case letters, digits and '-', 2..32 characters")


_RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


class Network(_Model):
    cidr: str
    az_count: int = Field(default=3, ge=2, le=3, strict=True)

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.IPv4Network(v, strict=True)
        except ValueError as exc:
            raise ValueError(f"not an IPv4 network in CIDR notation ({exc}); allowed: e.g. 10.40.0.0/16") from None
        if "/" not in v:
            raise ValueError(f"no prefix length, so it reads as {net} (one address); give the network with a "
                             f"prefix of /16 to /24, e.g. {net.network_address}/16")
        if not any(net.subnet_of(block) for block in _RFC1918):
            raise ValueError("must lie in a private (RFC 1918) range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
        if not 16 <= net.prefixlen <= 24:
            raise ValueError("prefix length must be /16 to /24 (VPC limits and room for one subnet per AZ)")
        return str(net)


class CapacityType(str, enum.Enum):
    ON_DEMAND = "on-demand"
    CAPACITY_RESERVATION = "capacity-reservation"
    CAPACITY_BLOCK = "capacity-block"


class CapacityConfig(_Model):
    type: CapacityType = CapacityType.ON_DEMAND
    reservation_id: str | None = Field(
        default=None, pattern=r"^cr-[0-9a-f]{8}([0-9a-f]{9})?$",
        description="a capacity reservation id: 'cr-' and 8 or 17 lower-case hex digits")

    @model_validator(mode="after")
    def _reservation(self) -> "CapacityConfig":
        if self.type is CapacityType.ON_DEMAND and self.reservation_id is not None:
            raise _FieldError(("cluster", "capacity", "reservation_id"), self.reservation_id,
                              "only for type capacity-reservation or capacity-block")
        if self.type is not CapacityType.ON_DEMAND and self.reservation_id is None:
            raise _FieldError(("cluster", "capacity", "reservation_id"), None,
                              f"required for type {self.type.value}: 'cr-' and 8 or 17 hex digits")
        return self


class LustreConfig(_Model):
    """``efa`` ``None`` (default) turns EFA on where the configuration allows it: the cluster
    always uses EFA, so when ``storage_capacity_gib`` is a multiple of the step of
    ``throughput_per_tib`` (:data:`govcdk.sizing.LUSTRE_EFA_CAPACITY_STEP_GIB`). ``true`` with
    another capacity is refused naming the steps."""

    storage_capacity_gib: int = Field(default=1200, strict=True,
                                      description="1200 or a multiple of 2400 (GiB, FSx for Lustre PERSISTENT_2 SSD)")
    throughput_per_tib: int = Field(default=250, strict=True,
                                    description="125, 250, 500 or 1000 (MB/s per TiB, PERSISTENT_2)")
    efa: bool | None = Field(default=None, strict=True)
    backup_retention_days: int = Field(default=7, ge=0, le=90, strict=True)

    @field_validator("storage_capacity_gib")
    @classmethod
    def _capacity(cls, v: int) -> int:
        if not sizing.lustre_capacity_ok(v):
            raise ValueError("allowed 1200 or a multiple of 2400 (FSx for Lustre PERSISTENT_2 SSD)")
        return v

    @field_validator("throughput_per_tib")
    @classmethod
    def _throughput(cls, v: int) -> int:
        if v not in sizing.LUSTRE_THROUGHPUT_PER_TIB:
            raise ValueError(f"allowed {', '.join(map(str, sizing.LUSTRE_THROUGHPUT_PER_TIB))} "
                             "(MB/s per TiB, PERSISTENT_2)")
        return v

    @model_validator(mode="after")
    def _efa_size(self) -> "LustreConfig":
        tiers = sizing.lustre_efa_throughputs(self.storage_capacity_gib)
        if self.efa is True and self.throughput_per_tib not in tiers:
            fits = (f"{self.storage_capacity_gib} GiB allows EFA at throughput_per_tib "
                    f"{', '.join(map(str, tiers))}" if tiers
                    else f"{self.storage_capacity_gib} GiB is a multiple of none of these")
            raise _FieldError(("cluster", "lustre", "storage_capacity_gib"), self.storage_capacity_gib,
                              f"with efa: true at throughput_per_tib {self.throughput_per_tib}: "
                              f"{sizing.lustre_efa_rule()}; {fits}; or leave efa out (EFA where the "
                              "size allows) or set efa: false")
        return self

    @property
    def efa_enabled(self) -> bool:
        """``EfaEnabled`` of the file system (the agency's cluster always uses EFA)."""
        if self.efa is not None:
            return self.efa
        return self.throughput_per_tib in sizing.lustre_efa_throughputs(self.storage_capacity_gib)


class Cluster(_Model):
    instance_type: str = Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
                               description="an EC2 instance type name in lower case, e.g. p5.48xlarge")
    node_count: int = Field(ge=1, le=64, strict=True)
    availability_zone: str | None = None
    ami_ssm_parameter: str | None = Field(
        default=None, pattern=r"^/[A-Za-z0-9_./-]{1,1010}$",
        description="an SSM parameter name: '/' then letters, digits, '_', '.', '-' or '/' "
                    "(the parameter holds the GPU AMI id; the AMI must carry EFA and NCCL)")
    ami_ids: dict[str, str] | None = None
    containers: bool = Field(default=False, strict=True)
    root_volume_gib: int = Field(default=512, ge=8, le=16384, strict=True)
    capacity: CapacityConfig = CapacityConfig()
    lustre: LustreConfig | None = None

    @field_validator("capacity", mode="before")
    @classmethod
    def _capacity_null(cls, v: Any) -> Any:
        return CapacityConfig() if v is None else v

    @field_validator("ami_ids")
    @classmethod
    def _ami_ids(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("give an AMI id for the agency's region, e.g. {us-gov-west-1: ami-0123456789abcdef0}")
        for region, ami in v.items():
            if not govcloud.is_govcloud(region):
                raise ValueError(f"{region!r} is not a GovCloud (US) region; allowed keys: {', '.join(govcloud.REGIONS)}")
            if not re.fullmatch(r"ami-[0-9a-f]{8}([0-9a-f]{9})?", ami):
                raise ValueError(f"{region}: {ami!r} is not an AMI id; allowed 'ami-' and 8 or 17 lower-case hex digits")
        return v

    @model_validator(mode="after")
    def _cluster_fields(self) -> "Cluster":
        problems = []
        if self.ami_ids is not None and self.ami_ssm_parameter is not None:
            problems.append(_FieldError(("cluster", "ami_ids"), self.ami_ids,
                                        "give either ami_ssm_parameter or ami_ids, not both"))
        if (self.capacity.type is CapacityType.CAPACITY_BLOCK
                and self.instance_type not in sizing.CAPACITY_BLOCK_INSTANCE_TYPES):
            problems.append(_FieldError(
                ("cluster", "instance_type"), self.instance_type,
                "EC2 does not sell Capacity Blocks for ML for this type (cluster.capacity.type is "
                f"capacity-block); allowed with capacity-block: {', '.join(sizing.CAPACITY_BLOCK_INSTANCE_TYPES)} "
                f"({sizing.CAPACITY_BLOCK_SOURCE}); or use capacity type capacity-reservation or on-demand"))
        if problems:
            raise _FieldErrors(problems)
        return self


class Logging(_Model):
    retention_days: int = Field(default=MIN_LOG_RETENTION_DAYS, strict=True)

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in VALID_LOG_RETENTION_DAYS or v < MIN_LOG_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in VALID_LOG_RETENTION_DAYS if d >= MIN_LOG_RETENTION_DAYS)
            raise ValueError(f"allowed: {allowed} (AU-11: at least 365 days, OMB M-21-31)")
        return v


class AuditProvider(str, enum.Enum):
    """Who provides an audit service in the agency's account and Region."""

    CREATE = "create"
    LANDING_ZONE = "landing_zone"


class ObjectLockMode(str, enum.Enum):
    GOVERNANCE = "governance"
    COMPLIANCE = "compliance"


class ArchiveStorageClass(str, enum.Enum):
    GLACIER = "glacier"
    DEEP_ARCHIVE = "deep_archive"


MIN_ARCHIVE_DAYS = 913
"""OMB M-21-31: 12 months active plus 18 months cold storage, 30 months (913 days) in all."""
MIN_LOCK_DAYS = 365
"""The shortest Object Lock period: the 12 months in active storage (GOV-S3-002's floor). At
impact level High the lock covers all :data:`MIN_ARCHIVE_DAYS`."""

_BUCKET_NAME_RE = r"^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"


class Audit(_Model):
    trail: AuditProvider = AuditProvider.CREATE
    config: AuditProvider = AuditProvider.CREATE
    guardduty: AuditProvider = AuditProvider.CREATE
    security_hub: AuditProvider = AuditProvider.CREATE
    object_lock_mode: ObjectLockMode | None = None
    object_lock_days: int = Field(default=MIN_ARCHIVE_DAYS, ge=MIN_LOCK_DAYS, le=36500, strict=True)
    online_days: int = Field(default=MIN_LOG_RETENTION_DAYS, ge=MIN_LOG_RETENTION_DAYS, le=36500,
                             strict=True)
    archive_storage_class: ArchiveStorageClass = ArchiveStorageClass.GLACIER
    expiration_days: int | None = Field(default=None, ge=MIN_ARCHIVE_DAYS, le=36500, strict=True)
    replication: bool | None = Field(default=None, strict=True)
    data_event_buckets: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("data_event_buckets")
    @classmethod
    def _bucket_names(cls, v: list[str]) -> list[str]:
        bad = [name for name in v if not re.fullmatch(_BUCKET_NAME_RE, name) or ".." in name]
        if bad:
            raise ValueError(f"{', '.join(repr(b) for b in bad)}: not an S3 bucket name; allowed "
                             "3..63 characters a-z, 0-9, '.' and '-', starting and ending with a "
                             "letter or digit (give names, not ARNs)")
        return v

    @model_validator(mode="after")
    def _expiration(self) -> "Audit":
        if self.expiration_days is not None and self.expiration_days < self.object_lock_days:
            raise _FieldError(("audit", "expiration_days"), self.expiration_days,
                              f"must be at least object_lock_days ({self.object_lock_days}): "
                              "objects cannot be deleted while locked")
        if self.expiration_days is not None and self.expiration_days <= self.online_days:
            raise _FieldError(("audit", "expiration_days"), self.expiration_days,
                              f"must be more than online_days ({self.online_days})")
        if self.data_event_buckets and self.trail is AuditProvider.LANDING_ZONE:
            raise _FieldError(("audit", "data_event_buckets"), self.data_event_buckets,
                              "only for a trail govcdk creates (trail: create); with trail: "
                              "landing_zone, add these buckets' data events to the landing "
                              "zone's trail (AU-2, AU-12)")
        if len(set(self.data_event_buckets)) != len(self.data_event_buckets):
            raise _FieldError(("audit", "data_event_buckets"), self.data_event_buckets,
                              "a bucket is named twice")
        return self


class AgencyConfig(_Model):
    """A validated agency file. Build with :func:`load_agency` or ``AgencyConfig.model_validate``."""

    agency: Agency
    impact_level: ImpactLevel
    data_classification: DataClassification = DataClassification.CUI
    account: str = Field(pattern=r"^\d{12}$", description="a 12-digit AWS account id")
    region: str

    @field_validator("account", mode="before")
    @classmethod
    def _account_quoted(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            raise ValueError('write the account id in quotes, e.g. account: "111111111111" '
                             "(YAML reads an unquoted number as an integer and drops leading zeros)")
        return v
    network: Network
    cluster: Cluster
    logging: Logging = Logging()
    audit: Audit = Audit()
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("audit", mode="before")
    @classmethod
    def _audit_null(cls, v: Any) -> Any:
        return Audit() if v is None else v

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: dict[str, str]) -> dict[str, str]:
        if len(v) > MAX_EXTRA_TAGS:
            raise ValueError(f"at most {MAX_EXTRA_TAGS} tags (AWS allows 50 per resource; govcdk adds 4)")
        problems = [_FieldError(("tags", key), value, "; ".join(tag_problems(key, value)) + "; "
                                + TAGS_LEAVE_BOUNDARY)
                    for key, value in v.items() if tag_problems(key, value)]
        if problems:
            raise _FieldErrors(problems)
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not govcloud.is_govcloud(v):
            raise ValueError(f"allowed: {', '.join(govcloud.REGIONS)} (AWS GovCloud (US) regions)")
        return v

    @model_validator(mode="after")
    def _cluster_in_region(self) -> "AgencyConfig":
        """Region-dependent cluster fields and the cluster subnet's addresses, every failing
        one reported."""
        c = self.cluster
        problems = _region_problems(self.region, self.network.az_count, c.availability_zone, c.ami_ids,
                                    c.instance_type)
        if not problems:
            problems += _address_problems(self)
        if problems:
            raise _FieldErrors(problems)
        return self

    @model_validator(mode="after")
    def _audit_for_impact_level(self) -> "AgencyConfig":
        """Audit choices the impact level forbids: at High, Object Lock in compliance mode and
        cross-Region replication are required."""
        problems: list[_FieldError] = []
        if self.impact_level is ImpactLevel.HIGH:
            if self.audit.object_lock_mode is ObjectLockMode.GOVERNANCE:
                problems.append(_FieldError(
                    ("audit", "object_lock_mode"), "governance",
                    "impact level high allows compliance only: in governance mode a privileged "
                    "user can delete audit records before their retention ends (AU-9)"))
            if self.audit.object_lock_days < MIN_ARCHIVE_DAYS:
                problems.append(_FieldError(
                    ("audit", "object_lock_days"), self.audit.object_lock_days,
                    f"impact level high allows {MIN_ARCHIVE_DAYS}..36500: the compliance-mode lock "
                    f"covers the whole 30-month retention of OMB M-21-31, so no one can delete an "
                    f"audit record before it ends (AU-9, AU-11)"))
            if self.audit.replication is False:
                problems.append(_FieldError(
                    ("audit", "replication"), False,
                    "impact level high requires replication of the log archive to the other "
                    "GovCloud Region (AU-9(2), audit records on a physically separate system)"))
        if problems:
            raise _FieldErrors(problems)
        return self

    @property
    def object_lock_mode(self) -> ObjectLockMode:
        """``audit.object_lock_mode``, else compliance at impact level High, governance below."""
        if self.audit.object_lock_mode is not None:
            return self.audit.object_lock_mode
        return ObjectLockMode.COMPLIANCE if self.impact_level is ImpactLevel.HIGH else ObjectLockMode.GOVERNANCE

    @property
    def replicate_audit_logs(self) -> bool:
        """``audit.replication``, else True at impact level High, False below."""
        if self.audit.replication is not None:
            return self.audit.replication
        return self.impact_level is ImpactLevel.HIGH

    @property
    def ami_parameter(self) -> str | None:
        """SSM parameter name for the GPU AMI: ``cluster.ami_ssm_parameter``, else
        ``/govcdk/<code>/gpu-ami`` unless ``cluster.ami_ids`` is given (then ``None``)."""
        if self.cluster.ami_ids is not None:
            return None
        return self.cluster.ami_ssm_parameter or f"/govcdk/{self.agency.code}/gpu-ami"


class _FieldError(ValueError):
    def __init__(self, loc: tuple[str, ...], value: Any, msg: str) -> None:
        super().__init__(msg)
        self.loc, self.value, self.msg = loc, value, msg


class _FieldErrors(ValueError):
    """Several :class:`_FieldError` from one model validator."""

    def __init__(self, errors: list[_FieldError]) -> None:
        super().__init__("; ".join(e.msg for e in errors))
        self.errors = errors


def _region_problems(region: str, az_count: int | None, az: Any, ami_ids: Any, itype: Any) -> list[_FieldError]:
    """The cluster fields that depend on ``region`` (a GovCloud region): the availability zone
    (among the network's first ``az_count``; not checked when ``az_count`` is unknown), the AMI
    id for the region, the instance type. Values of the wrong kind are skipped (their own
    field errors report them), so this also runs on raw data when other fields fail."""
    problems: list[_FieldError] = []
    if az_count is not None and isinstance(az, str):
        azs = govcloud.region(region).availability_zones[:az_count]
        if az not in azs:
            problems.append(_FieldError(
                ("cluster", "availability_zone"), az,
                f"allowed: the network's availability zones in {region}: {', '.join(azs)}"))
    if isinstance(ami_ids, dict) and ami_ids and region not in ami_ids:
        problems.append(_FieldError(("cluster", "ami_ids"), ami_ids, f"no AMI id for the agency's region {region}"))
    if isinstance(itype, str) and re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9]+", itype):
        usable = instances.efa_instance_types(region)
        if itype not in usable:
            elsewhere = [r for r in govcloud.REGIONS if r != region and itype in govcloud.instance_types(r)]
            if itype not in govcloud.instance_types(region) and not elsewhere \
                    and itype not in instances.known_instance_types():
                why = "unknown instance type (no EC2 instance type of that name in AWS GovCloud (US))"
            elif itype not in govcloud.instance_types(region):
                why = f"not offered in {region}" + (f" (offered in {', '.join(elsewhere)})" if elsewhere else "")
            elif itype in instances.known_instance_types():
                why = f"offered in {region} but without EFA"
            else:
                why = f"offered in {region} but not an accelerated type govcdk has facts for"
            problems.append(_FieldError(("cluster", "instance_type"), itype,
                                        f"{why}; EFA-capable accelerated types offered there: {', '.join(usable)}"))
    return problems


def _raw_region_problems(data: dict[str, Any]) -> list[_FieldError]:
    """:func:`_region_problems` on the raw agency file, for when other fields fail validation
    (pydantic then skips the model validators): a GovCloud ``region`` and a ``cluster`` mapping
    are enough; fields of the wrong kind are left to their own errors."""
    region, cluster = data.get("region"), data.get("cluster")
    if not (isinstance(region, str) and govcloud.is_govcloud(region) and isinstance(cluster, dict)):
        return []
    network = data.get("network")
    az_count = network.get("az_count", 3) if isinstance(network, dict) else None
    if not (type(az_count) is int and 2 <= az_count <= 3):
        az_count = None
    az, itype = cluster.get("availability_zone"), cluster.get("instance_type")
    return _region_problems(region, az_count, az.strip() if isinstance(az, str) else az,
                            cluster.get("ami_ids"), itype.strip() if isinstance(itype, str) else itype)


def _address_problems(cfg: "AgencyConfig") -> list[_FieldError]:
    """The cluster's subnet holds its nodes, the network's interface endpoints and the Lustre
    file system (:mod:`govcdk.sizing`)."""
    from govcdk.endpoints import resolve_endpoints

    c = cfg.cluster
    net = ipaddress.IPv4Network(cfg.network.cidr)
    az_count = cfg.network.az_count
    endpoints = len(resolve_endpoints(NETWORK_ENDPOINT_PROFILE))
    lustre = sizing.lustre_addresses(c.lustre.storage_capacity_gib) if c.lustre is not None else 0
    per_node = sizing.addresses_per_node(i.interface_type for i in instances.efa_layout(c.instance_type))
    prefix = sizing.subnet_prefix(net.prefixlen, az_count)
    usable = sizing.usable_addresses(prefix)
    fit = sizing.max_nodes(usable, per_node, endpoints=endpoints, lustre=lustre)
    if c.node_count <= fit:
        return []
    wider = next((p for p in range(net.prefixlen - 1, 15, -1)
                  if sizing.max_nodes(sizing.usable_addresses(sizing.subnet_prefix(p, az_count)), per_node,
                                      endpoints=endpoints, lustre=lustre) >= c.node_count), None)
    budget = sizing.describe_budget(
        f"the cluster's subnet (a /{prefix} of network.cidr {cfg.network.cidr} over {az_count} availability zones)",
        usable, per_node, c.instance_type, endpoints=endpoints, lustre=lustre)
    fix = [f"lower cluster.node_count to {fit}"] if fit else []
    if wider is not None:
        fix.append(f"give network.cidr a /{wider} or shorter prefix")
    if lustre and sizing.max_nodes(usable, per_node, endpoints=endpoints) >= c.node_count:
        fix.append("lower cluster.lustre.storage_capacity_gib")
    if not fix:
        fix.append("split the cluster across agencies")
    return [_FieldError(("cluster", "node_count"), c.node_count,
                        f"{budget}: at most {fit} node(s) fit; {' or '.join(fix)}")]


def _describe(err: dict[str, Any]) -> tuple[str, Any, str]:
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg: str = err["msg"]
    ctx = err.get("ctx") or {}
    exc = ctx.get("error")
    if isinstance(exc, _FieldError):
        return ".".join(exc.loc), exc.value, exc.msg
    msg = msg.removeprefix("Value error, ")
    if err["type"] == "string_pattern_mismatch":
        field_info = _field_description(err["loc"])
        msg = f"allowed: {field_info}" if field_info else msg
    elif err["type"] == "extra_forbidden":
        msg = "unknown field; allowed fields here: " + ", ".join(_allowed_fields(err["loc"][:-1]))
    elif err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] in ("greater_than_equal", "less_than_equal"):
        bounds = _field_bounds(err["loc"])
        msg = f"allowed {bounds[0]}..{bounds[1]}" if bounds else msg
    elif err["type"] in ("model_type", "dict_type", "model_attributes_type"):
        msg = f"must be a mapping of fields (got {_kind(err.get('input'))})"
    elif err["type"].endswith("_type"):
        msg = f"{msg} (got {_kind(err.get('input'))})"
        bounds = _field_bounds(err["loc"])
        description = _field_description(err["loc"])
        if bounds:
            msg += f"; allowed a whole number {bounds[0]}..{bounds[1]}"
        elif description:
            msg += f"; allowed {description}"
    return loc, err.get("input"), msg


def _field_bounds(loc: tuple[Any, ...]) -> tuple[Any, Any] | None:
    """``(ge, le)`` of a numeric field, for "allowed 1..64" messages."""
    model = _model_at(loc[:-1])
    f = model.model_fields.get(str(loc[-1])) if model else None
    if f is None:
        return None
    ge = next((m.ge for m in f.metadata if getattr(m, "ge", None) is not None), None)
    le = next((m.le for m in f.metadata if getattr(m, "le", None) is not None), None)
    return (ge, le) if ge is not None and le is not None else None


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = AgencyConfig
    for part in loc:
        f = model.model_fields.get(str(part))
        ann = getattr(f, "annotation", None) if f else None
        models = [a for a in (ann, *typing.get_args(ann)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not models:
            return None
        model = models[0]
    return model


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    model = _model_at(loc)
    return list(model.model_fields) if model else []


def _field_description(loc: tuple[Any, ...]) -> str | None:
    model = _model_at(loc[:-1])
    if model is None:
        return None
    f = model.model_fields.get(str(loc[-1]))
    return f.description if f else None


def _fmt_value(v: Any) -> str:
    if v is None or (isinstance(v, dict) and not v):
        return "(nothing)"
    if isinstance(v, (datetime.date, datetime.datetime)):
        return repr(v.isoformat())
    if isinstance(v, (dict, list)):
        return f"a {'mapping' if isinstance(v, dict) else 'list'} of {len(v)} item(s)"
    s = repr(v)
    return s if len(s) <= 80 else s[:77] + "..."


MAX_AGENCY_FILE_BYTES = 1 << 20
"""Agency files are small; anything over 1 MiB is refused before parsing."""


def construct_checked(loader: yaml.SafeLoader, node: yaml.Node, deep: bool) -> Any:
    """``SafeLoader.construct_object``, with a value its tag cannot hold (``!!int foo``,
    ``!!bool maybe``, ``!!map [1]``), for which PyYAML raises a bare ValueError, KeyError...
    (a traceback), as a ``ConstructorError`` with the line, which the loaders report as
    invalid YAML."""
    from govcdk.policies.decode import CONSTRUCT_ERRORS, node_problem

    try:
        return yaml.SafeLoader.construct_object(loader, node, deep=deep)
    except yaml.YAMLError:
        raise
    except CONSTRUCT_ERRORS as exc:
        raise yaml.constructor.ConstructorError(None, None, node_problem(node, exc),
                                                node.start_mark) from None


class _AgencyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys (the last one would win silently) and
    anchors/aliases (an agency file needs none, and they allow "billion laughs" expansion)."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed in agency files",
                                       event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.MarkedYAMLError(None, None, "anchors (&name) are not allowed in agency files",
                                       event.start_mark)
        return super().compose_node(parent, index)

    def construct_object(self, node, deep=False):  # noqa: ANN001 - PyYAML's signature
        return construct_checked(self, node, deep)

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 - PyYAML's signature
        if not isinstance(node, yaml.MappingNode):      # !!map [1], !!set [[a, b]]: PyYAML
            return super().construct_mapping(node, deep=deep)   # says "expected a mapping"
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise yaml.MarkedYAMLError(None, None, "a key must be a plain name, not a list or mapping",
                                           key_node.start_mark)
            if key in seen:
                raise yaml.MarkedYAMLError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml12_resolvers() -> dict:
    """PyYAML resolves scalars by YAML 1.1: ``yes``/``on`` are booleans, ``010`` is octal 8,
    ``0x10`` and ``1_6`` are integers, ``1:30`` is sexagesimal. An agency file reads them as
    YAML 1.2 (core schema) does, so ``node_count: 010`` is refused instead of becoming 8."""
    import re as _re

    out: dict = {}
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [(tag, rx) for tag, rx in resolvers
                if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
        if kept:
            out[first] = kept
    rules = [
        ("tag:yaml.org,2002:bool", _re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
        ("tag:yaml.org,2002:int", _re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), "-+0123456789"),
        ("tag:yaml.org,2002:float",
         _re.compile(r"^[-+]?(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[1-9][0-9]*[eE][-+]?[0-9]+)$"),
         "-+.0123456789"),
    ]
    for tag, rx, firsts in rules:
        for ch in firsts:
            out.setdefault(ch, []).append((tag, rx))
    return out


_AgencyLoader.yaml_implicit_resolvers = _yaml12_resolvers()


def construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """PyYAML's timestamp constructor, which raises a bare ``ValueError`` (a traceback) for an
    unquoted date that does not exist (``2026-02-30``): here a ``ConstructorError`` with the
    line, which the loaders report as invalid YAML."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid date or time ({exc}); quote it if it is "
            f"text", node.start_mark) from None


_AgencyLoader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)


def _kind(v: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean",
            dict: "a mapping", type(None): "nothing"}.get(type(v), type(v).__name__)


def load_agency(path: str | Path) -> AgencyConfig:
    """Read and validate an agency file.

    Raises :class:`AgencyConfigError` for a missing or unreadable file, YAML that does not
    parse (with its line), or any field that fails validation (every failing field listed,
    each with its dotted name, the bad value and what is allowed).
    """
    p = Path(path)
    if not p.exists():
        raise AgencyConfigError(f"{p}: agency file not found")
    if not p.is_file():
        raise AgencyConfigError(f"{p}: not a regular file; an agency file is a YAML file")
    try:
        if p.stat().st_size > MAX_AGENCY_FILE_BYTES:
            raise AgencyConfigError(f"{p}: larger than 1 MiB; an agency file is a short YAML document")
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise AgencyConfigError(f"{p}: not a text file (an agency file is UTF-8 YAML)") from None
    except OSError as exc:
        raise AgencyConfigError(f"{p}: cannot read agency file: {exc.strerror or exc}") from None
    if not text.strip():
        raise AgencyConfigError(f"{p}: the file is empty; see agencies/reference.yaml for the fields")
    try:
        data = yaml.load(text, Loader=_AgencyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AgencyConfigError(f"{p}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise AgencyConfigError(
            f"{p}: an agency file is a YAML mapping with the fields "
            f"{', '.join(AgencyConfig.model_fields)}; got {_kind(data)}")
    try:
        return AgencyConfig.model_validate(data)
    except ValidationError as exc:
        lines, locs = [], set()
        for err in exc.errors(include_url=False):
            multi = (err.get("ctx") or {}).get("error")
            if isinstance(multi, _FieldErrors):
                for e in multi.errors:
                    lines.append(f"{p}: field {'.'.join(e.loc)}: bad value {_fmt_value(e.value)}: {e.msg}")
                    locs.add(".".join(e.loc))
                continue
            loc, value, msg = _describe(err)
            locs.add(loc)
            if err["type"] == "missing":
                lines.append(f"{p}: field {loc}: {msg}")
            else:
                lines.append(f"{p}: field {loc}: bad value {_fmt_value(value)}: {msg}")
        # pydantic skips the model validators once a field fails: add the region-dependent
        # problems here, so every failing field is listed at once.
        for e in _raw_region_problems(data):
            loc = ".".join(e.loc)
            if loc not in locs and not any(l.startswith(loc + ".") for l in locs):
                lines.append(f"{p}: field {loc}: bad value {_fmt_value(e.value)}: {e.msg}")
        raise AgencyConfigError("\n".join(lines)) from None
