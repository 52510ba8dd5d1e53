"""Joins the S3 rules share: which bucket of the checked templates a value names, and which
buckets receive audit logs.

A bucket is named by ``Ref`` (its name), ``Fn::GetAtt Bucket.Arn``, a string holding either
(``${Bucket.Arn}/*``, ``arn:${AWS::Partition}:s3:::${Bucket}``), or the literal name its
``BucketName`` declares (also as an S3 ARN, ``arn:<partition>:s3:::name[/prefix]``). Audit-log
destinations (RULES.md LOG-8) are the buckets named by a CloudTrail trail's ``S3BucketName``, a
flow log's ``LogDestination`` with ``LogDestinationType: s3``, another bucket's
``LoggingConfiguration.DestinationBucketName`` (a ``LoggingConfiguration`` without it logs into
the bucket itself: AWS CloudFormation User Guide, ``AWS::S3::Bucket LoggingConfiguration``) and
an Application/Network Load Balancer's ``access_logs.s3.bucket`` attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from ...helpers import as_bool, describe, literal, refs_in, same_value
from ...resolver import ResourceRef, Unknown, is_opaque

BUCKET = "AWS::S3::Bucket"
TRAIL = "AWS::CloudTrail::Trail"
FLOW_LOG = "AWS::EC2::FlowLog"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
AUDIT_REFERRER_TYPES = (TRAIL, FLOW_LOG, BUCKET, LOAD_BALANCER)
_S3_ARN = re.compile(r"^arn:[a-z-]+:s3:::([^/]*)(/.*)?$")

ACCESS_LOG_KIND = "access-log destination"
"""The ``kind`` of an :class:`AuditReference` made by a bucket's server access logging."""


def label(ctx: Any, res: Any) -> str:
    """A resource's logical id, with its stack when it is not the checked template's."""
    return res.logical_id if res.stack == ctx.stack else f"{res.logical_id} (stack {res.stack})"


def find_bucket(ctx: Any, value: Any, owner: str) -> tuple[Any, str | None]:
    """The ``AWS::S3::Bucket`` of the checked templates that ``value`` (held by a resource of
    stack ``owner``) names: ``(bucket, None)``; ``(None, reason)`` when it cannot be told
    (unresolved, a reference to something else, an unresolved bucket name of the run);
    ``(None, None)`` for a name or ARN no bucket of the checked templates declares."""
    if isinstance(value, Unknown):
        return None, f"cannot be resolved: {value.reason}"
    refs = refs_in(value)
    for ref in refs:
        res = ctx.target(ref, owner)
        if res is not None and res.type == BUCKET:
            return res, None
    if refs:
        return None, f"{describe(value)} does not refer to an S3 bucket of the checked templates"
    if not isinstance(value, str):
        return None, f"is {describe(value)}, not a bucket name or ARN"
    name = value.strip()
    m = _S3_ARN.match(name)
    if m:
        name = m.group(1)
    unsure: Unknown | None = None
    for bucket in ctx.run_resources(BUCKET):
        declared = bucket.properties.get("BucketName")
        if declared is None:
            continue    # CloudFormation generates the name
        if not _may_equal(declared, name):
            continue
        if bucket.stack == owner:
            same = same_value(declared, name)
        elif isinstance(declared, Unknown):
            continue    # an unresolved name in another stack: nothing to compare
        elif is_opaque(declared) or is_opaque(name):
            same = Unknown(
                f"bucket name {describe(declared)} of stack {bucket.stack} is known only at "
                f"deploy time")
        else:
            same = declared == name
        if same is True:
            return bucket, None
        if isinstance(same, Unknown) and unsure is None:
            unsure = same
    if unsure is not None:
        return None, (f"{describe(value)}: the name of a bucket of the checked templates cannot "
                      f"be resolved ({unsure.reason})")
    return None, None


def _pattern(text: str) -> re.Pattern[str]:
    """A regular expression a deploy-time string may turn into: its placeholders and tokens
    (``${AWS::AccountId}``, ``${Ref:X}``) stand for one or more characters."""
    parts = re.split(r"\$\{(?:Ref:|GetAtt:|AWS::)[^{}]*\}", text)
    return re.compile(".+".join(re.escape(p) for p in parts), re.DOTALL)


def _may_equal(a: Any, b: Any) -> bool:
    """False only when two resolved names cannot be equal whatever their placeholders become
    (``audit-${AWS::AccountId}`` never equals ``central-logs``); True otherwise."""
    if not isinstance(a, str) or not isinstance(b, str):
        return True
    if is_opaque(a) and is_opaque(b):
        return True
    if is_opaque(a):
        return _pattern(a).fullmatch(b) is not None
    if is_opaque(b):
        return _pattern(b).fullmatch(a) is not None
    return a == b


@dataclass(frozen=True)
class AuditReference:
    """A resource that sends audit logs to a bucket: what it is (``kind``), the value naming
    the bucket and that value's property path."""

    referrer: Any
    kind: str
    value: Any
    path: tuple[str | int, ...]


def audit_references(resources: list[Any]) -> Iterator[AuditReference]:
    """The audit-log destinations the given resources name (see the module docstring). A flow
    log whose ``LogDestinationType`` cannot be resolved counts when its ``LogDestination`` may
    be a bucket; a load balancer whose ``access_logs.s3.enabled`` is literally false does not
    count, one with an attribute whose ``Key`` cannot be resolved (it may be that one) does."""
    for res in resources:
        props = res.properties
        if res.type == TRAIL and props.get("S3BucketName") is not None:
            yield AuditReference(res, "CloudTrail log destination", props.get("S3BucketName"),
                                 ("Properties", "S3BucketName"))
        elif res.type == FLOW_LOG:
            dest_type = literal(props.get("LogDestinationType"), "LogDestinationType")
            if (isinstance(dest_type, Unknown) or dest_type == "s3") \
                    and props.get("LogDestination") is not None:
                yield AuditReference(res, "flow log destination", props.get("LogDestination"),
                                     ("Properties", "LogDestination"))
        elif res.type == BUCKET:
            config = props.get("LoggingConfiguration")
            path = ("Properties", "LoggingConfiguration")
            if isinstance(config, Unknown):
                yield AuditReference(res, ACCESS_LOG_KIND, config, path)
            elif isinstance(config, dict):
                dest = config.get("DestinationBucketName")
                if dest is None:    # logs into the bucket itself
                    yield AuditReference(res, ACCESS_LOG_KIND, res_ref(res), path)
                else:
                    yield AuditReference(res, ACCESS_LOG_KIND, dest,
                                         path + ("DestinationBucketName",))
        elif res.type == LOAD_BALANCER:
            attrs = props.get("LoadBalancerAttributes")
            if not isinstance(attrs, list):
                continue
            enabled: Any = None
            found: tuple[int, Any] | None = None
            unresolved_key = False
            for i, item in enumerate(attrs):
                if not isinstance(item, dict):
                    continue
                key = literal(item.get("Key"))
                if isinstance(key, Unknown):    # may be access_logs.s3.enabled: counts as such
                    unresolved_key = True
                elif key == "access_logs.s3.enabled":
                    enabled = as_bool(item.get("Value"))
                elif key == "access_logs.s3.bucket":
                    found = (i, item.get("Value"))
            if enabled is None and unresolved_key:
                enabled = Unknown("an attribute Key cannot be resolved")
            if found is not None and enabled is not False and enabled is not None:
                yield AuditReference(res, "load balancer access-log destination", found[1],
                                     ("Properties", "LoadBalancerAttributes", found[0], "Value"))


def res_ref(res: Any) -> ResourceRef:
    """A reference to ``res`` as a resolved value of its own template."""
    return ResourceRef(res.logical_id, "")


def server_access_log_sources(ctx: Any, bucket: Any) -> list[str]:
    """Labels of the buckets of the run (``bucket`` itself included) whose S3 server access logs
    go to ``bucket``. Amazon S3 User Guide, "Enabling Amazon S3 server access logging": such a
    destination may use only SSE-S3 default encryption (SSE-KMS is not supported) and cannot
    have Object Lock."""
    out: list[str] = []
    for ref in audit_references(ctx.run_resources(BUCKET)):
        if ref.kind != ACCESS_LOG_KIND:
            continue
        target, _ = find_bucket(ctx, ref.value, ref.referrer.stack)
        if target is not None and (target.stack, target.logical_id) == (bucket.stack, bucket.logical_id):
            same = (ref.referrer.stack, ref.referrer.logical_id) == (bucket.stack, bucket.logical_id)
            out.append("itself" if same else label(ctx, ref.referrer))
    return sorted(set(out))


def audit_destination_kinds(ctx: Any) -> dict[tuple[str, str], set[str]]:
    """``{(stack, logical id) of a bucket: {kinds of audit logs it receives}}`` (the ``kind``
    of :class:`AuditReference`, e.g. :data:`ACCESS_LOG_KIND`)."""
    kinds: dict[tuple[str, str], set[str]] = {}
    for ref in audit_references(ctx.run_resources(*AUDIT_REFERRER_TYPES)):
        bucket, _ = find_bucket(ctx, ref.value, ref.referrer.stack)
        if bucket is not None:
            kinds.setdefault((bucket.stack, bucket.logical_id), set()).add(ref.kind)
    return kinds


def audit_destinations(ctx: Any) -> tuple[dict[tuple[str, str], list[str]], list[tuple[
        AuditReference, str]]]:
    """``({(stack, logical id) of a bucket: [what sends audit logs to it]}, [(reference of
    the checked template whose destination is not a bucket of the run, why)])``."""
    dests: dict[tuple[str, str], list[str]] = {}
    outside: list[tuple[AuditReference, str]] = []
    for ref in audit_references(ctx.run_resources(*AUDIT_REFERRER_TYPES)):
        bucket, reason = find_bucket(ctx, ref.value, ref.referrer.stack)
        if bucket is not None:
            same = (bucket.stack, bucket.logical_id) == (ref.referrer.stack,
                                                         ref.referrer.logical_id)
            who = "itself" if same else label(ctx, ref.referrer)
            dests.setdefault((bucket.stack, bucket.logical_id), []).append(
                f"{ref.kind} of {who}")
        elif ref.referrer.stack == ctx.stack:
            outside.append((ref, reason or f"{describe(ref.value)} is not a bucket of the "
                                            f"checked templates"))
    return dests, outside
