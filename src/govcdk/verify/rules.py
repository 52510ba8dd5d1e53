"""The rules of ``govcdk verify``: what a deployed account shows that a template cannot prove.

Each rule reads one resource of a deployed stack (found by ListStackResources, by physical id)
through the AWS read APIs and returns :class:`~govcdk.policies.model.CheckResult` values, as a
template rule does; the runner (:mod:`govcdk.verify`) folds them into the same
:class:`~govcdk.policies.model.Finding` and :class:`~govcdk.policies.model.Report` shapes, so
every writer of :data:`govcdk.policies.reporters.WRITERS` renders a verify report.

Rule ids: ``GOV-VERIFY-<SERVICE>-NNN``, new ids rather than the template rules' own. The concern
of each is that of one template rule (:data:`MIRRORS`: GOV-VERIFY-KMS-001 mirrors GOV-KMS-001)
and it carries that rule's NIST SP 800-53 Rev 5 controls, RULES.md backlog concerns and
severity, so its FedRAMP baselines derive from the catalog the same way. The ids differ because
the evidence differs: a template rule judges what CloudFormation was asked to create; a verify
rule judges what the account runs now (after console changes, drift, a key disabled by hand),
and an assessor must be able to tell the two apart in one control matrix; template suppressions
(``Metadata.govcdk.suppressions``) do not apply to live state; and some verify rules check more
than their template rule can (a key's ``KeyState``, a trail's ``IsLogging`` status, a flow
log's delivery status, public access blocks in force at account level).

Every message starts with the resource's physical id (the runner adds it). ``path`` values name
the API operation and response field that decided, e.g. ``("GetKeyRotationStatus",
"KeyRotationEnabled")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..policies.model import CheckResult, Rule, Severity
from ._aws import Absent, Api

NIST = "NIST SP 800-53 Rev 5"
BUCKET = "AWS::S3::Bucket"


@dataclass(frozen=True)
class DeployedResource:
    """One resource of a deployed stack, from ListStackResources: its stack (name and stack id
    ARN), logical id, physical id (key id, VPC id, bucket name, trail name, log group name),
    resource type, and CDK construct path (template ``Metadata.aws:cdk:path``, ``""`` when the
    template has none)."""

    stack: str
    stack_id: str
    logical_id: str
    physical_id: str
    type: str
    cdk_path: str = ""


@dataclass
class VerifyContext:
    """What a verify check reads through: ``api`` (:class:`~govcdk.verify._aws.Api`), the
    ``region``, the ``account`` id of the stack (from its stack id ARN; ``None`` when the ARN
    does not say), ``params`` (the rule's parameters), a ``cache`` shared by every check of a
    run so each resource is read once, and ``run``: every resource of the rules' types in the
    stacks of the run (as the template engine's run resources)."""

    api: Api
    region: str
    account: str | None
    params: Mapping[str, Any] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)
    run: tuple[DeployedResource, ...] = ()

    def cached(self, key: Any, read: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = read()
        return self.cache[key]

    def describe_key(self, key_id: str) -> dict[str, Any] | Absent:
        """DescribeKey's ``KeyMetadata``, or :class:`Absent` when the key does not exist."""
        def read() -> Any:
            r = self.api.call("kms", "describe_key", KeyId=key_id, expect={"NotFoundException"})
            return r["KeyMetadata"] if r else r
        return self.cached(("kms-key", key_id), read)

    def vpc_exists(self, vpc_id: str) -> bool:
        def read() -> bool:
            r = self.api.call("ec2", "describe_vpcs", VpcIds=[vpc_id],
                              expect={"InvalidVpcID.NotFound", "InvalidVpcID.Malformed"})
            return bool(r and r.get("Vpcs"))
        return self.cached(("vpc", vpc_id), read)

    def trail(self, name: str) -> dict[str, Any] | Absent:
        """GetTrail's ``Trail``, or :class:`Absent` when there is no such trail."""
        def read() -> Any:
            r = self.api.call("cloudtrail", "get_trail", Name=name,
                              expect={"TrailNotFoundException"})
            return r["Trail"] if r else r
        return self.cached(("trail", name), read)

    def log_group(self, name: str) -> dict[str, Any] | None:
        """The DescribeLogGroups entry of the group named exactly ``name``, ``None`` if none."""
        def read() -> Any:
            for g in self.api.pages("logs", "describe_log_groups", "logGroups",
                                    token="nextToken", logGroupNamePrefix=name):
                if g.get("logGroupName") == name:
                    return g
            return None
        return self.cached(("log-group", name), read)

    def logging_target(self, bucket: str) -> str | None:
        """The bucket that ``bucket``'s server access logs go to (GetBucketLogging
        ``LoggingEnabled.TargetBucket``), ``None`` when logging is off or the bucket is gone."""
        def read() -> Any:
            r = self.api.call("s3", "get_bucket_logging", Bucket=bucket, expect={"NoSuchBucket"})
            return ((r.get("LoggingEnabled") or {}).get("TargetBucket") or None) if r else None
        return self.cached(("bucket-logging", bucket), read)

    def server_access_log_sources(self, res: DeployedResource) -> list[str]:
        """The buckets of the run (``res`` itself included, as ``"itself"``) whose server access
        logs go to bucket ``res``: logical ids, ``<stack>/<logical id>`` for another stack's."""
        out = []
        for other in self.run:
            if other.type == BUCKET and self.logging_target(other.physical_id) == res.physical_id:
                out.append("itself" if other == res else other.logical_id if other.stack == res.stack
                           else f"{other.stack}/{other.logical_id}")
        return sorted(set(out))

    def account_public_access_block(self) -> dict[str, Any]:
        """The account's S3 Block Public Access settings (S3 Control GetPublicAccessBlock),
        ``{}`` when none is set or the account id is unknown."""
        if not self.account:
            return {}
        account = self.account

        def read() -> Any:
            r = self.api.call("s3control", "get_public_access_block", AccountId=account,
                              expect={"NoSuchPublicAccessBlockConfiguration"})
            return (r.get("PublicAccessBlockConfiguration") or {}) if r else {}
        return self.cached(("account-pab", account), read)


def _gone(kind: str) -> CheckResult:
    return CheckResult.failed(
        f"the stack's {kind} no longer exists (deleted outside CloudFormation; run drift "
        f"detection and restore it or update the stack)")


# --------------------------------------------------------------------------------------- KMS

SYMMETRIC = "SYMMETRIC_DEFAULT"
MAX_ROTATION_DAYS = 365


def check_kms_key(res: DeployedResource, ctx: VerifyContext) -> CheckResult | list[CheckResult]:
    meta = ctx.describe_key(res.physical_id)
    if not meta:
        return _gone("KMS key")
    if meta.get("KeyManager") == "AWS":
        return CheckResult.not_applicable("an AWS managed key: AWS rotates it every year")
    state = meta.get("KeyState", "")
    failures: list[CheckResult] = []
    if state != "Enabled":
        failures.append(CheckResult.failed(
            f"KeyState is {state or 'not reported'}, not Enabled: data under the key cannot be "
            f"read or written", ("DescribeKey", "KeyMetadata", "KeyState")))
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or SYMMETRIC
    usage = meta.get("KeyUsage") or "ENCRYPT_DECRYPT"
    origin = meta.get("Origin") or "AWS_KMS"
    if spec != SYMMETRIC or usage != "ENCRYPT_DECRYPT":
        rotation = (f"automatic rotation does not exist for KeySpec {spec} / KeyUsage {usage}; "
                    f"rotate it manually under the key management plan")
    elif origin != "AWS_KMS":
        rotation = (f"Origin {origin}: automatic rotation does not exist for imported or external "
                    f"key material; rotate it manually under the key management plan")
    elif state not in ("Enabled", "Disabled"):
        rotation = f"rotation status not read in KeyState {state}"
    else:
        status = ctx.api.call("kms", "get_key_rotation_status", KeyId=res.physical_id)
        limit = int(ctx.params.get("max_rotation_days", MAX_ROTATION_DAYS))
        period = status.get("RotationPeriodInDays")
        if status.get("KeyRotationEnabled") is not True:
            failures.append(CheckResult.failed(
                "automatic key rotation is disabled", ("GetKeyRotationStatus", "KeyRotationEnabled")))
            rotation = ""
        elif period is None:
            # KMS API Reference, GetKeyRotationStatus: RotationPeriodInDays defaults to 365.
            rotation = ("automatic rotation enabled (no RotationPeriodInDays reported: the KMS "
                        "default of 365 days)")
        elif int(period) > limit:
            failures.append(CheckResult.failed(
                f"RotationPeriodInDays {period} exceeds {limit} days",
                ("GetKeyRotationStatus", "RotationPeriodInDays")))
            rotation = ""
        else:
            rotation = f"automatic rotation enabled every {period} days"
    if failures:
        return failures
    return CheckResult.passed(f"key enabled; {rotation}", ("DescribeKey", "KeyMetadata", "KeyState"))


# --------------------------------------------------------------------------------------- EC2

def check_vpc_flow_logs(res: DeployedResource, ctx: VerifyContext) -> CheckResult:
    vpc = res.physical_id
    if not ctx.vpc_exists(vpc):
        return _gone("VPC")
    flow_logs = list(ctx.api.pages("ec2", "describe_flow_logs", "FlowLogs",
                                   Filters=[{"Name": "resource-id", "Values": [vpc]}]))
    if not flow_logs:
        return CheckResult.failed("no flow log captures the VPC's traffic", ("DescribeFlowLogs",))
    good: list[str] = []
    bad: list[str] = []
    for fl in flow_logs:
        dest = fl.get("LogGroupName") or fl.get("LogDestination") or "?"
        name = f"flow log {fl.get('FlowLogId', '?')} to {fl.get('LogDestinationType', 'cloud-watch-logs')} {dest}"
        issues = []
        if fl.get("FlowLogStatus") != "ACTIVE":
            issues.append(f"FlowLogStatus {fl.get('FlowLogStatus')}")
        if fl.get("TrafficType") != "ALL":
            issues.append(f"TrafficType {fl.get('TrafficType')} (not ALL)")
        delivery = fl.get("DeliverLogsStatus")
        if delivery is not None and delivery != "SUCCESS":
            issues.append(f"DeliverLogsStatus {delivery}"
                          + (f" ({fl['DeliverLogsErrorMessage']})" if fl.get("DeliverLogsErrorMessage") else ""))
        if issues:
            bad.append(f"{name}: {', '.join(issues)}")
        else:
            shown = "delivering (SUCCESS)" if delivery else "delivery status not reported"
            good.append(f"{name}: ACTIVE, ALL traffic, {shown}")
    if good:
        return CheckResult.passed("; ".join(good + [f"also {b}" for b in bad]), ("DescribeFlowLogs",))
    return CheckResult.failed("no active flow log of ALL traffic delivering: " + "; ".join(bad),
                              ("DescribeFlowLogs",))


def check_vpc_no_internet(res: DeployedResource, ctx: VerifyContext) -> CheckResult | list[CheckResult]:
    vpc = res.physical_id
    if not ctx.vpc_exists(vpc):
        return _gone("VPC")
    by_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    out: list[CheckResult] = []
    for igw in ctx.api.pages("ec2", "describe_internet_gateways", "InternetGateways",
                             Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}]):
        out.append(CheckResult.failed(
            f"internet gateway {igw['InternetGatewayId']} is attached",
            ("DescribeInternetGateways", igw["InternetGatewayId"])))
    for eigw in ctx.api.pages("ec2", "describe_egress_only_internet_gateways",
                              "EgressOnlyInternetGateways"):
        if any(a.get("VpcId") == vpc and a.get("State") in ("attached", "attaching")
               for a in eigw.get("Attachments") or []):
            out.append(CheckResult.failed(
                f"egress-only internet gateway {eigw['EgressOnlyInternetGatewayId']} is attached",
                ("DescribeEgressOnlyInternetGateways", eigw["EgressOnlyInternetGatewayId"])))
    nats = {n["NatGatewayId"]: n for n in ctx.api.pages("ec2", "describe_nat_gateways",
                                                         "NatGateways", Filters=by_vpc)
            if n.get("State") in ("pending", "available")}
    for nat_id, nat in nats.items():
        if nat.get("ConnectivityType", "public") == "public":
            out.append(CheckResult.failed(f"public NAT gateway {nat_id} is in the VPC",
                                          ("DescribeNatGateways", nat_id)))
    for rt in ctx.api.pages("ec2", "describe_route_tables", "RouteTables", Filters=by_vpc):
        rt_id = rt.get("RouteTableId", "?")
        for i, route in enumerate(rt.get("Routes") or []):
            if route.get("State") == "blackhole":
                continue
            dest = (route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
                    or route.get("DestinationPrefixListId") or "?")
            path = ("DescribeRouteTables", rt_id, "Routes", i)
            gateway = route.get("GatewayId") or ""
            if gateway.startswith("igw-"):
                out.append(CheckResult.failed(
                    f"route table {rt_id} routes {dest} to internet gateway {gateway}", path))
            elif route.get("EgressOnlyInternetGatewayId"):
                out.append(CheckResult.failed(
                    f"route table {rt_id} routes {dest} to egress-only internet gateway "
                    f"{route['EgressOnlyInternetGatewayId']}", path))
            elif route.get("NatGatewayId"):
                nat = nats.get(route["NatGatewayId"])
                if nat is None:
                    out.append(CheckResult.unknown(
                        f"route table {rt_id} routes {dest} to NAT gateway "
                        f"{route['NatGatewayId']}, which is not an active NAT gateway of the "
                        f"VPC; its connectivity type cannot be read", path))
                elif nat.get("ConnectivityType", "public") == "public":
                    out.append(CheckResult.failed(
                        f"route table {rt_id} routes {dest} to public NAT gateway "
                        f"{route['NatGatewayId']}", path))
    if out:
        return out
    return CheckResult.passed("no internet, egress-only internet or public NAT gateway and no "
                              "route to one", ("DescribeRouteTables",))


# ---------------------------------------------------------------------------------------- S3

PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                          "RestrictPublicBuckets")


def check_bucket_public_access(res: DeployedResource, ctx: VerifyContext) -> CheckResult:
    r = ctx.api.call("s3", "get_public_access_block", Bucket=res.physical_id,
                     expect={"NoSuchPublicAccessBlockConfiguration", "NoSuchBucket"})
    if isinstance(r, Absent) and r.code == "NoSuchBucket":
        return _gone("bucket")
    bucket = (r.get("PublicAccessBlockConfiguration") or {}) if r else {}
    account = ctx.account_public_access_block()
    missing = [k for k in PUBLIC_ACCESS_SETTINGS
               if bucket.get(k) is not True and account.get(k) is not True]
    if missing:
        where = "no bucket-level configuration" if not r else "bucket-level false or unset"
        return CheckResult.failed(
            f"Block Public Access not in force: {', '.join(missing)} ({where}; "
            f"{'not set at account level either' if account else 'no account-level configuration'})",
            ("GetPublicAccessBlock", "PublicAccessBlockConfiguration", missing[0]))
    levels = [name for name, conf in (("bucket", bucket), ("account", account))
              if conf and any(conf.get(k) is True for k in PUBLIC_ACCESS_SETTINGS)]
    return CheckResult.passed(f"all four Block Public Access settings in force ({' and '.join(levels)} level)",
                              ("GetPublicAccessBlock", "PublicAccessBlockConfiguration"))


KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def _access_log_destination_on_sse_s3(res: DeployedResource, ctx: VerifyContext,
                                      rules: list[dict[str, Any]] | None) -> CheckResult | None:
    """NOT_APPLICABLE for a bucket that receives server access logs of a bucket of the run and
    whose default encryption is SSE-S3 (every rule ``AES256``, or no configuration), as
    GOV-S3-006 judges the template: S3 supports only SSE-S3 default encryption on a server
    access log destination (Amazon S3 User Guide, "Enabling Amazon S3 server access logging").
    ``None`` otherwise (judged as any bucket)."""
    if rules is not None and (not rules or any(
            (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm") != "AES256"
            for rule in rules)):
        return None
    sources = ctx.server_access_log_sources(res)
    if not sources:
        return None
    return CheckResult.not_applicable(
        f"S3 server access log destination (of {', '.join(sources)}) with SSE-S3: S3 supports only "
        f"SSE-S3 default encryption there (Amazon S3 User Guide, \"Enabling Amazon S3 server "
        f"access logging\"), so a customer-managed key cannot be used")


def check_bucket_encryption(res: DeployedResource, ctx: VerifyContext) -> CheckResult | list[CheckResult]:
    r = ctx.api.call("s3", "get_bucket_encryption", Bucket=res.physical_id,
                     expect={"ServerSideEncryptionConfigurationNotFoundError", "NoSuchBucket"})
    if isinstance(r, Absent):
        if r.code == "NoSuchBucket":
            return _gone("bucket")
        exempt = _access_log_destination_on_sse_s3(res, ctx, None)
        if exempt is not None:
            return exempt
        return CheckResult.failed("no default encryption configuration (S3 encrypts with SSE-S3, "
                                  "not a customer-managed key)", ("GetBucketEncryption",))
    rules = (r.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    if not rules:
        return CheckResult.failed("the default encryption configuration has no rule",
                                  ("GetBucketEncryption",))
    exempt = _access_log_destination_on_sse_s3(res, ctx, rules)
    if exempt is not None:
        return exempt
    out: list[CheckResult] = []
    keys: list[str] = []
    for i, rule in enumerate(rules):
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        algorithm, key = default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
        path = ("GetBucketEncryption", "ServerSideEncryptionConfiguration", "Rules", i,
                "ApplyServerSideEncryptionByDefault")
        if algorithm not in KMS_ALGORITHMS:
            out.append(CheckResult.failed(
                f"default encryption SSEAlgorithm {algorithm} (not {' or '.join(KMS_ALGORITHMS)}): "
                f"not a customer-managed key", path + ("SSEAlgorithm",)))
        elif not key:
            out.append(CheckResult.failed(
                f"default encryption {algorithm} without KMSMasterKeyID uses the AWS managed key "
                f"aws/s3", path + ("KMSMasterKeyID",)))
        else:
            meta = ctx.describe_key(key)
            if not meta:
                out.append(CheckResult.failed(f"default encryption key {key} does not exist",
                                              path + ("KMSMasterKeyID",)))
            elif meta.get("KeyManager") != "CUSTOMER":
                out.append(CheckResult.failed(
                    f"default encryption key {key} is {meta.get('KeyManager', 'not')} managed, not "
                    f"customer managed", path + ("KMSMasterKeyID",)))
            else:
                keys.append(f"{algorithm} with customer-managed key {meta.get('Arn', key)}")
    if out:
        return out
    return CheckResult.passed("default encryption " + "; ".join(keys), ("GetBucketEncryption",))


# -------------------------------------------------------------------------------- CloudTrail

def check_trail_logging(res: DeployedResource, ctx: VerifyContext) -> CheckResult | list[CheckResult]:
    trail = ctx.trail(res.physical_id)
    if not trail:
        return _gone("trail")
    out: list[CheckResult] = []
    status = ctx.api.call("cloudtrail", "get_trail_status", Name=res.physical_id)
    if status.get("IsLogging") is not True:
        out.append(CheckResult.failed("the trail is not logging (IsLogging false)",
                                      ("GetTrailStatus", "IsLogging")))
    if trail.get("IsMultiRegionTrail") is not True:
        out.append(CheckResult.failed("the trail covers its home Region only",
                                      ("GetTrail", "Trail", "IsMultiRegionTrail")))
    if trail.get("IncludeGlobalServiceEvents") is not True:
        out.append(CheckResult.failed("the trail does not record global service events (IAM, STS)",
                                      ("GetTrail", "Trail", "IncludeGlobalServiceEvents")))
    if out:
        return out
    return CheckResult.passed("logging, multi-Region, global service events recorded",
                              ("GetTrailStatus", "IsLogging"))


def check_trail_log_file_validation(res: DeployedResource, ctx: VerifyContext) -> CheckResult:
    trail = ctx.trail(res.physical_id)
    if not trail:
        return _gone("trail")
    path = ("GetTrail", "Trail", "LogFileValidationEnabled")
    if trail.get("LogFileValidationEnabled") is not True:
        return CheckResult.failed("log file integrity validation is disabled", path)
    return CheckResult.passed("log file integrity validation enabled", path)


# -------------------------------------------------------------------------------------- Logs

MIN_RETENTION_DAYS = 365


def check_log_group_retention(res: DeployedResource, ctx: VerifyContext) -> CheckResult:
    group = ctx.log_group(res.physical_id)
    if group is None:
        return _gone("log group")
    path = ("DescribeLogGroups", "retentionInDays")
    floor = int(ctx.params.get("min_retention_days", MIN_RETENTION_DAYS))
    days = group.get("retentionInDays")
    if days is None:
        return CheckResult.passed("events never expire (no retention policy)", path)
    if int(days) < floor:
        return CheckResult.failed(f"retentionInDays {days} is below {floor} days", path)
    return CheckResult.passed(f"retentionInDays {days} (at least {floor})", path)


def check_log_group_key(res: DeployedResource, ctx: VerifyContext) -> CheckResult:
    group = ctx.log_group(res.physical_id)
    if group is None:
        return _gone("log group")
    path = ("DescribeLogGroups", "kmsKeyId")
    key = group.get("kmsKeyId")
    if not key:
        return CheckResult.failed("no kmsKeyId: log data is encrypted with a key CloudWatch Logs "
                                  "owns, which the agency cannot control or audit", path)
    # CloudWatch Logs accepts only customer managed symmetric keys for kmsKeyId (CloudWatch Logs
    # User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS").
    return CheckResult.passed(f"encrypted with customer-managed key {key}", path)


# ------------------------------------------------------------------------------------- rules

_REMEDIATE = ("Restore the setting the stack declares (re-deploy the stack, or fix the resource "
              "and run CloudFormation drift detection); change it only through the CDK app.")


def _rule(id: str, name: str, title: str, types: tuple[str, ...], *,
          controls: tuple[str, ...], severity: Severity, backlog: tuple[str, ...],
          rationale: str, remediation: str, check: Callable[..., Any],
          references: tuple[str, ...], parameters: Mapping[str, Any] | None = None) -> Rule:
    return Rule(id=id, name=name, title=title, scope="deployed", resource_types=types,
                controls=controls, severity=severity, rationale=rationale,
                remediation=f"{remediation} {_REMEDIATE}", check=check,
                references=references + (NIST,), parameters=dict(parameters or {}),
                backlog=backlog)


VERIFY_RULES: tuple[Rule, ...] = (
    _rule("GOV-VERIFY-KMS-001", "deployed_kms_key_enabled_rotating",
          "Deployed KMS keys are enabled and rotate their key material automatically at least "
          "every 365 days", ("AWS::KMS::Key",),
          controls=("SC-12", "SC-12(1)", "SC-13"), severity=Severity.MEDIUM, backlog=("KMS-1",),
          rationale=(
              "SC-12 asks for keys managed through a defined cryptoperiod; a template can ask "
              "for rotation, but rotation can be switched off and a key disabled or scheduled "
              "for deletion afterwards. DescribeKey (KeyState) and GetKeyRotationStatus show "
              "what the key does now. Asymmetric, HMAC and imported keys cannot rotate "
              "automatically and are judged on KeyState only."),
          remediation="EnableKeyRotation (RotationPeriodInDays <= 365) and EnableKey; cancel "
                      "a scheduled deletion (CancelKeyDeletion).",
          check=check_kms_key, parameters={"max_rotation_days": MAX_ROTATION_DAYS},
          references=("AWS KMS API Reference: DescribeKey, GetKeyRotationStatus",
                      "AWS KMS Developer Guide: Rotating AWS KMS keys; Key states of AWS KMS keys")),
    _rule("GOV-VERIFY-EC2-001", "deployed_vpc_flow_logs_active",
          "Deployed VPCs have an active flow log of ALL traffic that delivers",
          ("AWS::EC2::VPC",),
          controls=("AU-2", "AU-12", "SI-4", "SC-7"), severity=Severity.MEDIUM,
          backlog=("LOG-10",),
          rationale=(
              "AU-12 needs the audit records actually generated: a flow log declared in a "
              "template may have been deleted, or may fail to deliver (a role without "
              "permission, a deleted log group). DescribeFlowLogs reports FlowLogStatus, "
              "TrafficType and, for CloudWatch Logs destinations, DeliverLogsStatus. The "
              "destination log group's retention and key are judged by GOV-VERIFY-LOGS-001/002 "
              "when it belongs to a verified stack."),
          remediation="Create a VPC flow log with TrafficType ALL; fix its delivery role or "
                      "destination until DeliverLogsStatus is SUCCESS.",
          check=check_vpc_flow_logs,
          references=("Amazon EC2 API Reference: DescribeFlowLogs",
                      "Amazon VPC User Guide: Logging IP traffic using VPC Flow Logs")),
    _rule("GOV-VERIFY-EC2-002", "deployed_vpc_no_internet_path",
          "Deployed VPCs have no internet, egress-only internet or public NAT gateway and no "
          "route to one", ("AWS::EC2::VPC",),
          controls=("SC-7", "SC-7(5)", "AC-4"), severity=Severity.HIGH, backlog=("NET-1",),
          rationale=(
              "An isolated VPC (SC-7(5), deny by default) is only isolated while nothing "
              "attaches a gateway to it: an internet gateway can be attached and a route added "
              "outside CloudFormation. Any route (not only 0.0.0.0/0 or ::/0) to an internet, "
              "egress-only internet or public NAT gateway fails; private NAT gateways have no "
              "internet path and pass; blackhole routes carry no traffic and are skipped."),
          remediation="Detach and delete the gateway and its routes.",
          check=check_vpc_no_internet,
          references=("Amazon EC2 API Reference: DescribeInternetGateways, "
                      "DescribeEgressOnlyInternetGateways, DescribeNatGateways, DescribeRouteTables",
                      "Amazon VPC User Guide: Enable internet access for a VPC using an "
                      "internet gateway; NAT gateways")),
    _rule("GOV-VERIFY-S3-001", "deployed_bucket_public_access_blocked",
          "Deployed S3 buckets have all four Block Public Access settings in force",
          ("AWS::S3::Bucket",),
          controls=("AC-3", "AC-4", "SC-7"), severity=Severity.HIGH, backlog=("STO-1",),
          rationale=(
              "A bucket's Block Public Access settings can be turned off after deployment. A "
              "setting is in force when the bucket or the account (S3 Control "
              "GetPublicAccessBlock) sets it true; S3 applies the most restrictive of the two. "
              "With all four in force, public ACLs are ignored and public policies refused."),
          remediation="PutPublicAccessBlock with all four settings true on the bucket (or the "
                      "account).",
          check=check_bucket_public_access,
          references=("Amazon S3 API Reference: GetPublicAccessBlock (S3 and S3 Control)",
                      "Amazon S3 User Guide: Blocking public access to your Amazon S3 storage")),
    _rule("GOV-VERIFY-S3-002", "deployed_bucket_kms_encryption",
          "Deployed S3 buckets encrypt new objects by default with SSE-KMS or DSSE-KMS under a "
          "customer-managed key", ("AWS::S3::Bucket",),
          controls=("SC-28", "SC-28(1)", "SC-13"), severity=Severity.HIGH, backlog=("KMS-5",),
          rationale=(
              "SC-28(1) asks for cryptographic protection under keys the agency controls. A "
              "bucket's default encryption can be changed to SSE-S3 or to the AWS managed "
              "aws/s3 key after deployment; GetBucketEncryption and DescribeKey (KeyManager "
              "CUSTOMER) show the key in use. As GOV-S3-006: a bucket on SSE-S3 that receives "
              "the server access logs of a bucket of the run (GetBucketLogging TargetBucket) "
              "is NOT_APPLICABLE, since S3 supports only SSE-S3 default encryption on a server "
              "access log destination."),
          remediation="PutBucketEncryption with SSEAlgorithm aws:kms and a customer-managed "
                      "KMSMasterKeyID.",
          check=check_bucket_encryption,
          references=("Amazon S3 API Reference: GetBucketEncryption, GetBucketLogging",
                      "Amazon S3 User Guide: Setting default server-side encryption behavior; "
                      "Enabling Amazon S3 server access logging")),
    _rule("GOV-VERIFY-CLOUDTRAIL-001", "deployed_trail_logging_multi_region",
          "Deployed CloudTrail trails are logging, cover every Region and record global service "
          "events", ("AWS::CloudTrail::Trail",),
          controls=("AU-2", "AU-3", "AU-12", "SI-4"), severity=Severity.HIGH, backlog=("LOG-1",),
          rationale=(
              "A trail records nothing once StopLogging is called, which a template cannot show; "
              "GetTrailStatus (IsLogging) and GetTrail (IsMultiRegionTrail, "
              "IncludeGlobalServiceEvents) show what the trail records now (AU-12)."),
          remediation="StartLogging; UpdateTrail with IsMultiRegionTrail and "
                      "IncludeGlobalServiceEvents true.",
          check=check_trail_logging,
          references=("AWS CloudTrail API Reference: GetTrail, GetTrailStatus",
                      "AWS CloudTrail User Guide: Receiving CloudTrail log files from multiple "
                      "Regions")),
    _rule("GOV-VERIFY-CLOUDTRAIL-002", "deployed_trail_log_file_validation",
          "Deployed CloudTrail trails validate log file integrity", ("AWS::CloudTrail::Trail",),
          controls=("AU-9", "SI-7", "SI-7(1)"), severity=Severity.MEDIUM,
          backlog=("LOG-2",),
          rationale=(
              "Digest files let an assessor prove log files were not altered (AU-9, SI-7(1)); "
              "validation can be switched off with UpdateTrail after deployment."),
          remediation="UpdateTrail with EnableLogFileValidation true.",
          check=check_trail_log_file_validation,
          references=("AWS CloudTrail API Reference: GetTrail",
                      "AWS CloudTrail User Guide: Validating CloudTrail log file integrity")),
    _rule("GOV-VERIFY-LOGS-001", "deployed_log_group_retention",
          "Deployed CloudWatch log groups retain log events for at least 365 days",
          ("AWS::Logs::LogGroup",),
          controls=("AU-11", "SI-12"), severity=Severity.MEDIUM, backlog=("LOG-6",),
          rationale=(
              "FedRAMP AU-11 defers to OMB M-21-31 (12 months in active storage). "
              "PutRetentionPolicy can shorten a group's retention after deployment and events "
              "older than it are deleted. A group without a retention policy never expires "
              "events and passes."),
          remediation="PutRetentionPolicy with retentionInDays of at least 365.",
          check=check_log_group_retention,
          parameters={"min_retention_days": MIN_RETENTION_DAYS},
          references=("Amazon CloudWatch Logs API Reference: DescribeLogGroups, "
                      "PutRetentionPolicy", "OMB M-21-31")),
    _rule("GOV-VERIFY-LOGS-002", "deployed_log_group_kms_encryption",
          "Deployed CloudWatch log groups are encrypted with a customer-managed KMS key",
          ("AWS::Logs::LogGroup",),
          controls=("AU-9", "SC-28"), severity=Severity.MEDIUM, backlog=("LOG-7",),
          rationale=(
              "DisassociateKmsKey removes a group's key after deployment; new events are then "
              "encrypted with a key CloudWatch Logs owns (AU-9 protection of audit information "
              "under agency-controlled keys)."),
          remediation="AssociateKmsKey with a customer-managed key whose policy admits the "
                      "CloudWatch Logs service principal.",
          check=check_log_group_key,
          references=("Amazon CloudWatch Logs API Reference: DescribeLogGroups, AssociateKmsKey",
                      "Amazon CloudWatch Logs User Guide: Encrypt log data in CloudWatch Logs "
                      "using AWS KMS")),
)
"""The verify rules (:func:`govcdk.verify.verify` runs them in id order)."""

MIRRORS: dict[str, str] = {
    "GOV-VERIFY-KMS-001": "GOV-KMS-001",
    "GOV-VERIFY-EC2-001": "GOV-EC2-001",
    "GOV-VERIFY-EC2-002": "GOV-EC2-002",
    "GOV-VERIFY-S3-001": "GOV-S3-001",
    "GOV-VERIFY-S3-002": "GOV-S3-006",
    "GOV-VERIFY-CLOUDTRAIL-001": "GOV-CLOUDTRAIL-001",
    "GOV-VERIFY-CLOUDTRAIL-002": "GOV-CLOUDTRAIL-002",
    "GOV-VERIFY-LOGS-001": "GOV-LOGS-001",
    "GOV-VERIFY-LOGS-002": "GOV-LOGS-002",
}
"""Verify rule id -> the template rule (``govcdk check``) whose concern it verifies in the
deployed account; both carry the same controls, backlog concerns and severity."""
