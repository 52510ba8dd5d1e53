"""GOV-S3-002: audit-log buckets use Object Lock with a default retention of at least 365 days
and keep objects at least 913 days.

Object Lock period: the default retention (``Days``, or ``Years`` of 365 days) must be at least
``min_lock_days`` (365, the 12 months M-21-31 keeps logs in active storage; a user may tighten
it to 913). A shorter lock protects records only briefly: after it a privileged user can delete
what AU-11 says to keep.

Source: RULES.md LOG-8; FedRAMP Rev 5 AU-11 defers to OMB M-21-31 (12 months active plus 18
months cold storage: 30 months, 913 days); Amazon S3 User Guide, "Locking objects with Object
Lock" and "Expiring objects" (lifecycle ``ExpirationInDays``/``ExpirationDate`` act on current
objects); AWS CloudFormation User Guide, ``AWS::S3::Bucket`` ``ObjectLockEnabled``,
``ObjectLockConfiguration.Rule.DefaultRetention``, ``LifecycleConfiguration.Rules``.

Template scope: a bucket is an audit-log destination when a trail, a flow log, another bucket's
access logging (or its own ``LoggingConfiguration`` without a destination) or a load balancer's
access logs name it, from any template of the run (see ``_buckets``). Other buckets are
NOT_APPLICABLE, and so are the trails, flow logs and load balancers of the template whose
logs go to a bucket of the checked templates (the verdict is on that bucket) or not to S3. A
trail, flow log, bucket or load balancer of the checked template whose
destination is not a bucket of the checked templates (a literal name no bucket declares, an
``Fn::ImportValue`` no checked stack exports) is UNKNOWN: the retention of its audit records
cannot be proven from the templates, and it must not pass silently. Disabled lifecycle rules
are ignored; ``NoncurrentVersionExpiration`` is not judged (it removes only superseded
versions).

S3 server access log destinations: Amazon S3 does not deliver server access logs to a bucket
with Object Lock or a default retention period (Amazon S3 User Guide, "Enabling Amazon S3 server
access logging": "S3 buckets with S3 Object Lock can't be used as destination buckets for server
access logs"; "Object Lock considerations"). A bucket that receives only server access logs is
therefore judged on its lifecycle alone (no expiration before the floor) and FAILS when it
enables Object Lock or sets a default retention (its logs would not be delivered). A bucket that
receives server access logs and other audit logs (a trail, flow logs, load balancer logs) FAILS:
the other logs need Object Lock and the access logs forbid it; send them to separate buckets.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, as_int, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown
from ._buckets import ACCESS_LOG_KIND, AUDIT_REFERRER_TYPES, BUCKET, audit_destination_kinds, audit_destinations

MIN_ARCHIVE_DAYS = 913
MIN_LOCK_DAYS = 365
"""The shortest Object Lock default retention: the 12 months OMB M-21-31 keeps logs in active
storage. A user may tighten it to the whole 913 days (``min_lock_days``); govcdk's own
AuditLogging locks 913 days by default, and at impact level High never less."""
DAYS_PER = {"Days": 1, "Years": 365}
"""S3 counts an Object Lock year as 365 days (Amazon S3 API Reference, DefaultRetention)."""
LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")

Path = tuple[str | int, ...]


def _object_lock(props: dict[str, Any], min_lock_days: int) -> tuple[list[CheckResult], str]:
    results: list[CheckResult] = []
    path: Path = ("Properties", "ObjectLockEnabled")
    enabled = as_bool(props.get("ObjectLockEnabled"))
    if isinstance(enabled, Unknown):
        results.append(CheckResult.unknown(f"ObjectLockEnabled cannot be resolved: "
                                           f"{enabled.reason}", path))
    elif enabled is not True:
        raw = props.get("ObjectLockEnabled")
        shown = "not set" if raw is None else f"is {describe(raw)}"
        results.append(CheckResult.failed(f"ObjectLockEnabled {shown}: audit log objects can "
                                          f"be deleted or overwritten", path))
    base: Path = ("Properties", "ObjectLockConfiguration")
    value: Any = props.get("ObjectLockConfiguration")
    for key in ("Rule", "DefaultRetention"):
        if isinstance(value, Unknown):
            break
        value = value.get(key) if isinstance(value, dict) else None
        base = base + (key,)
    if isinstance(value, Unknown):
        results.append(CheckResult.unknown(f"{base[-1]} cannot be resolved: {value.reason}",
                                           base))
        return results, ""
    if not isinstance(value, dict):
        results.append(CheckResult.failed(
            "ObjectLockConfiguration.Rule.DefaultRetention not set: new objects get no "
            "retention period unless each writer sets one",
            ("Properties", "ObjectLockConfiguration")))
        return results, ""
    mode = literal(value.get("Mode"), "Mode")
    if isinstance(mode, Unknown):
        results.append(CheckResult.unknown(f"DefaultRetention Mode cannot be resolved: "
                                           f"{mode.reason}", base + ("Mode",)))
    elif mode not in LOCK_MODES:
        results.append(CheckResult.failed(f"DefaultRetention Mode is {describe(mode)}, not "
                                          f"GOVERNANCE or COMPLIANCE", base + ("Mode",)))
    period = ""
    for unit in ("Days", "Years"):
        raw = value.get(unit)
        if raw is None:
            continue
        n = as_int(raw)
        if isinstance(n, Unknown):
            results.append(CheckResult.unknown(f"DefaultRetention {unit} cannot be resolved: "
                                               f"{n.reason}", base + (unit,)))
        elif not isinstance(n, int) or n < 1:
            results.append(CheckResult.failed(f"DefaultRetention {unit} {describe(raw)} is not "
                                              f"a positive whole number", base + (unit,)))
        elif n * DAYS_PER[unit] < min_lock_days:
            results.append(CheckResult.failed(
                f"DefaultRetention {unit} {n} locks log objects for {n * DAYS_PER[unit]} days, "
                f"less than the {min_lock_days}-day floor: after that a privileged user can "
                f"delete audit records the agency must keep (AU-9, AU-11; OMB M-21-31: 12 "
                f"months active)", base + (unit,)))
        else:
            period = f"{n} {unit.lower() if n != 1 else unit.lower()[:-1]}"
    if not period and not any(value.get(u) is not None for u in ("Days", "Years")):
        results.append(CheckResult.failed("DefaultRetention sets neither Days nor Years", base))
    return results, f"Object Lock {mode} {period} by default" if period else ""


def _no_object_lock(props: dict[str, Any]) -> list[CheckResult]:
    """Server access log destinations: Object Lock and a default retention stop delivery."""
    why = ("S3 does not deliver server access logs to a bucket with Object Lock (Amazon S3 User "
           "Guide, \"Enabling Amazon S3 server access logging\"): keep access logs in a bucket "
           "without Object Lock and retain them by lifecycle")
    enabled = as_bool(props.get("ObjectLockEnabled"))
    path: Path = ("Properties", "ObjectLockEnabled")
    if isinstance(enabled, Unknown):
        return [CheckResult.unknown(f"ObjectLockEnabled cannot be resolved ({enabled.reason}); "
                                    f"{why}", path)]
    if enabled is True:
        return [CheckResult.failed(f"ObjectLockEnabled is true: {why}", path)]
    config = props.get("ObjectLockConfiguration")
    if isinstance(config, Unknown):
        return [CheckResult.unknown(f"ObjectLockConfiguration cannot be resolved ({config.reason}); "
                                    f"{why}", ("Properties", "ObjectLockConfiguration"))]
    if isinstance(config, dict) and config.get("Rule") is not None:
        return [CheckResult.failed(f"ObjectLockConfiguration sets a default retention: {why}",
                                   ("Properties", "ObjectLockConfiguration", "Rule"))]
    return []


def _lifecycle(props: dict[str, Any], floor: int) -> list[CheckResult]:
    base: Path = ("Properties", "LifecycleConfiguration")
    config = props.get("LifecycleConfiguration")
    if config is None:
        return []
    if isinstance(config, Unknown):
        return [CheckResult.unknown(f"LifecycleConfiguration cannot be resolved: "
                                    f"{config.reason}", base)]
    rules = config.get("Rules") if isinstance(config, dict) else None
    if isinstance(rules, Unknown):
        return [CheckResult.unknown(f"lifecycle Rules cannot be resolved: {rules.reason}",
                                    base + ("Rules",))]
    out: list[CheckResult] = []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        path = base + ("Rules", i)
        if isinstance(rule, Unknown):
            out.append(CheckResult.unknown(f"lifecycle rule cannot be resolved: {rule.reason}",
                                           path))
            continue
        if not isinstance(rule, dict):
            continue
        status = literal(rule.get("Status"), "Status")
        if isinstance(status, str) and status == "Disabled":
            continue
        name = f"lifecycle rule {describe(rule['Id'])}" if isinstance(rule.get("Id"), str) \
            else f"lifecycle rule {i}"
        if rule.get("ExpirationDate") is not None:
            out.append(CheckResult.failed(
                f"{name} expires current objects on a fixed date ({describe(rule['ExpirationDate'])}"
                f"), whatever their age: audit records must be kept {floor} days",
                path + ("ExpirationDate",)))
        raw = rule.get("ExpirationInDays")
        if raw is not None:
            days = as_int(raw)
            if isinstance(days, Unknown):
                out.append(CheckResult.unknown(f"{name} ExpirationInDays cannot be resolved: "
                                               f"{days.reason}", path + ("ExpirationInDays",)))
            elif not isinstance(days, int) or days < floor:
                out.append(CheckResult.failed(
                    f"{name} expires current objects after {describe(raw)} days, before the "
                    f"{floor}-day archive floor (AU-11, OMB M-21-31: 30 months)",
                    path + ("ExpirationInDays",)))
    return out


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    floor = int(ctx.params.get("min_archive_days", MIN_ARCHIVE_DAYS))
    min_lock_days = int(ctx.params.get("min_lock_days", MIN_LOCK_DAYS))
    dests, outside = audit_destinations(ctx)
    out: dict[str, list[CheckResult]] = {}
    for ref, reason in outside:
        out.setdefault(ref.referrer.logical_id, []).append(CheckResult.unknown(
            f"{ref.kind} {reason}: the Object Lock and lifecycle of the bucket receiving its "
            f"audit logs cannot be checked (declare the bucket in a checked template)",
            ref.path))
    kinds = audit_destination_kinds(ctx)
    for bucket in ctx.resources(BUCKET):
        senders = dests.get((ctx.stack, bucket.logical_id))
        if not senders:
            out.setdefault(bucket.logical_id, []).append(CheckResult.not_applicable(
                "not an audit-log destination of the checked templates"))
            continue
        role = "audit-log destination (" + "; ".join(sorted(set(senders))) + ")"
        received = kinds.get((ctx.stack, bucket.logical_id), set())
        if received == {ACCESS_LOG_KIND}:
            results = _no_object_lock(bucket.properties) + _lifecycle(bucket.properties, floor)
            summary = ("S3 server access log destination, without Object Lock as S3 requires "
                       "(Amazon S3 User Guide, \"Enabling Amazon S3 server access logging\")")
            where: Path = ("Properties", "LifecycleConfiguration")
        else:
            lock, summary = _object_lock(bucket.properties, min_lock_days)
            results = lock + _lifecycle(bucket.properties, floor)
            where = ("Properties", "ObjectLockConfiguration")
            if ACCESS_LOG_KIND in received:
                results.append(CheckResult.failed(
                    "receives S3 server access logs, which S3 does not deliver to a bucket with "
                    "Object Lock, and other audit logs, which need Object Lock: send server "
                    "access logs to a separate bucket", ("Properties", "ObjectLockEnabled")))
        if results:
            out.setdefault(bucket.logical_id, []).extend(
                CheckResult(r.status, f"{role}: {r.message}", r.path) for r in results)
        else:
            out.setdefault(bucket.logical_id, []).append(CheckResult.passed(
                f"{role}: {summary}; no lifecycle rule expires current objects before {floor} "
                f"days", where))
    for res in ctx.resources(*AUDIT_REFERRER_TYPES):
        if res.logical_id not in out:
            out[res.logical_id] = [CheckResult.not_applicable(
                "sends no audit logs to S3, or sends them to a bucket of the checked templates "
                "(judged on that bucket)")]
    return out


RULE = Rule(
    id="GOV-S3-002",
    backlog=("LOG-8",),
    name="audit_bucket_retention",
    title="Buckets that receive audit logs enable Object Lock with a default retention of at "
          "least 365 days (S3 server access log buckets: without Object Lock, as S3 requires) "
          "and do not expire objects before 913 days",
    scope="template",
    resource_types=AUDIT_REFERRER_TYPES,
    controls=("AU-9", "AU-11", "SI-12"),
    severity=Severity.HIGH,
    rationale=(
        "Audit records must be protected from deletion and modification (AU-9) and kept for the "
        "retention period (AU-11, SI-12): FedRAMP points to OMB M-21-31, 12 months active and "
        "18 more in cold storage, 30 months (913 days) in all. Object Lock with a default "
        "retention makes each delivered log object write-once for that period, even for "
        "administrators (COMPLIANCE mode); a lifecycle expiration shorter than 913 days "
        "destroys records the agency must keep. The lock lasts at least min_lock_days (365: "
        "the active-storage year); a High system should tighten it to the whole 913 days "
        "(--rule-parameter GOV-S3-002.min_lock_days=913), the floor govcdk's agency stacks "
        "enforce at impact level High. No other static tool checks this."),
    remediation=(
        "CDK: s3.Bucket(self, 'AuditLogs', object_lock_enabled=True, "
        "object_lock_default_retention=s3.ObjectLockRetention.compliance(Duration.days(365)), "
        "versioned=True, lifecycle_rules=[s3.LifecycleRule(transitions=[...], "
        "expiration=Duration.days(913))]) or no expiration. CloudFormation: AWS::S3::Bucket "
        "ObjectLockEnabled: true, ObjectLockConfiguration {ObjectLockEnabled: Enabled, Rule: "
        "{DefaultRetention: {Mode: COMPLIANCE, Days: 365}}}, and no LifecycleConfiguration rule "
        "with ExpirationInDays below 913 or an ExpirationDate. A bucket for S3 server access "
        "logs: no Object Lock (S3 does not deliver to it), only the lifecycle rule."),
    check=check,
    references=(
        "Amazon S3 User Guide: Locking objects with Object Lock (retention modes, default "
        "retention)",
        "Amazon S3 User Guide: Managing the lifecycle of objects; Expiring objects",
        "Amazon S3 User Guide: Enabling Amazon S3 server access logging (destination buckets "
        "cannot have Object Lock)",
        "AWS CloudFormation User Guide: AWS::S3::Bucket ObjectLockEnabled, "
        "ObjectLockConfiguration, LifecycleConfiguration",
        "OMB M-21-31, Improving the Federal Government's Investigative and Remediation "
        "Capabilities Related to Cybersecurity Incidents (12 months active, 18 months cold "
        "storage)",
        "NIST SP 800-53 Rev 5: AU-9 Protection of Audit Information; AU-11 Audit Record "
        "Retention; SI-12 Information Management and Retention",
    ),
    parameters={"min_archive_days": MIN_ARCHIVE_DAYS, "min_lock_days": MIN_LOCK_DAYS},
    equivalents={"checkov": (), "guard": (),
                 "cdk-nag": ("NIST.800.53.R4-S3BucketDefaultLockEnabled",)},
)
