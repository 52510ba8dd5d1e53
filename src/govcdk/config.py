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
      instance_type: p5.48xlarge # offered in the region (cfn-lint's region data)
      node_count: 2              # 1..64
      ami_ssm_parameter: /govcdk/airx/gpu-ami   # SSM parameter holding the AMI id [see below]
    logging:
      retention_days: 365        # CloudWatch Logs retention; >= 365 (AU-11, OMB M-21-31) [365]

Tag values (agency code, system id, impact level, classification) leave the GovCloud boundary
in AWS metadata, so they are restricted to short identifiers.

:func:`load_agency` raises :class:`AgencyConfigError` whose message names the file, the field,
the bad value and what is allowed; the CLI prints it and exits 2.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from govcdk import govcloud

VALID_LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)
"""Values CloudWatch Logs accepts for ``RetentionInDays`` (CloudWatch Logs API, PutRetentionPolicy)."""

MIN_LOG_RETENTION_DAYS = 365
"""AU-11 floor: FedRAMP defers to OMB M-21-31, 12 months of active storage."""


class AgencyConfigError(Exception):
    """An agency file that cannot be used. ``str()`` is the whole message for the user."""


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


class Network(_Model):
    cidr: str
    az_count: int = Field(default=3, ge=2, le=3)

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.IPv4Network(v, strict=True)
        except ValueError as exc:
            raise ValueError(f"not an IPv4 network in CIDR notation ({exc}); allowed: e.g. 10.40.0.0/16") from None
        if not net.is_private:
            raise ValueError("must be a private (RFC 1918) range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
        if not 16 <= net.prefixlen <= 24:
            raise ValueError("prefix length must be /16 to /24 (VPC limits and room for one subnet per AZ)")
        return str(net)


class Cluster(_Model):
    instance_type: str = Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
    node_count: int = Field(ge=1, le=64)
    ami_ssm_parameter: str | None = Field(
        default=None, pattern=r"^/[A-Za-z0-9_./-]{1,1010}$",
        description="SSM parameter name holding the GPU AMI id (must carry EFA and NCCL)")


class Logging(_Model):
    retention_days: int = MIN_LOG_RETENTION_DAYS

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in VALID_LOG_RETENTION_DAYS or v < MIN_LOG_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in VALID_LOG_RETENTION_DAYS if d >= MIN_LOG_RETENTION_DAYS)
            raise ValueError(f"allowed: {allowed} (AU-11: at least 365 days, OMB M-21-31)")
        return v


class AgencyConfig(_Model):
    """A validated agency file. Build with :func:`load_agency` or ``AgencyConfig.model_validate``."""

    agency: Agency
    impact_level: ImpactLevel
    data_classification: DataClassification = DataClassification.CUI
    account: str = Field(pattern=r"^\d{12}$", description="a 12-digit AWS account id")
    region: str
    network: Network
    cluster: Cluster
    logging: Logging = Logging()

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not govcloud.is_govcloud(v):
            raise ValueError(f"allowed: {', '.join(govcloud.REGIONS)} (AWS GovCloud (US) regions)")
        return v

    @model_validator(mode="after")
    def _offered(self) -> "AgencyConfig":
        offered = govcloud.instance_types(self.region)
        if self.cluster.instance_type not in offered:
            accel = ", ".join(govcloud.accelerated_instance_types(self.region))
            raise _FieldError(("cluster", "instance_type"), self.cluster.instance_type,
                              f"not offered in {self.region}; accelerated types offered there: {accel}")
        return self

    @property
    def ami_parameter(self) -> str:
        """SSM parameter name for the GPU AMI (default ``/govcdk/<code>/gpu-ami``)."""
        return self.cluster.ami_ssm_parameter or f"/govcdk/{self.agency.code}/gpu-ami"

    @property
    def stack_prefix(self) -> str:
        return f"{self.agency.code}"


class _FieldError(ValueError):
    def __init__(self, loc: tuple[str, ...], value: Any, msg: str) -> None:
        super().__init__(msg)
        self.loc, self.value, self.msg = loc, value, msg


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
    return loc, err.get("input"), msg


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = AgencyConfig
    for part in loc:
        f = model.model_fields.get(str(part))
        ann = getattr(f, "annotation", None) if f else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        model = ann
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
    if isinstance(v, dict) and not v:
        return "(nothing)"
    s = repr(v)
    return s if len(s) <= 80 else s[:77] + "..."


def load_agency(path: str | Path) -> AgencyConfig:
    """Read and validate an agency file.

    Raises :class:`AgencyConfigError` for a missing or unreadable file, YAML that does not
    parse (with its line), or any field that fails validation (every failing field listed,
    each with its dotted name, the bad value and what is allowed).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AgencyConfigError(f"{p}: agency file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AgencyConfigError(f"{p}: cannot read agency file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AgencyConfigError(f"{p}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise AgencyConfigError(
            f"{p}: an agency file is a YAML mapping with the fields "
            f"{', '.join(AgencyConfig.model_fields)}; got {type(data).__name__}")
    try:
        return AgencyConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            loc, value, msg = _describe(err)
            if err["type"] == "missing":
                lines.append(f"{p}: field {loc}: {msg}")
            else:
                lines.append(f"{p}: field {loc}: bad value {_fmt_value(value)}: {msg}")
        raise AgencyConfigError("\n".join(lines)) from None
