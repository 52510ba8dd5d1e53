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
    name = _bucket_name(value)
    unsure: Unknown | None = None
    for bucket, declared in _named_buckets(ctx, name):
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


def _bucket_name(value: str) -> str:
    """The bucket name a string names: itself, or the name in an S3 ARN."""
    name = value.strip()
    m = _S3_ARN.match(name)
    return m.group(1) if m else name


class _BucketNames:
    """The buckets of the run (as resolved, in run order) with their declared ``BucketName``,
    indexed by literal name; built once per run (``RuleContext.cache``)."""

    def __init__(self, buckets: list[Any]) -> None:
        self.buckets: list[tuple[Any, Any]] = []
        self.exact: dict[str, list[int]] = {}
        self.other: list[int] = []      # opaque or unresolved names: any name may match
        for bucket in buckets:
            declared = bucket.properties.get("BucketName")
            if declared is None:
                continue    # CloudFormation generates the name
            pos = len(self.buckets)
            self.buckets.append((bucket, declared))
            if isinstance(declared, str) and not is_opaque(declared):
                self.exact.setdefault(declared, []).append(pos)
            else:
                self.other.append(pos)

    def candidates(self, name: str) -> list[tuple[Any, Any]]:
        """The (bucket, declared name) pairs whose name may equal ``name``, in run order: a
        literal name equals only the same literal, or a name known only at deploy time."""
        if is_opaque(name):
            return self.buckets
        positions = sorted(self.exact.get(name, []) + self.other)
        return [self.buckets[p] for p in positions]


def _named_buckets(ctx: Any, name: str) -> Iterator[tuple[Any, Any]]:
    """What ``ctx.run_resources(BUCKET)`` would give (this template's buckets first, as its
    variant resolves them, then the other templates'), as (bucket, declared ``BucketName``),
    leaving out the other templates' buckets whose name cannot be ``name``."""
    for bucket in ctx.resources(BUCKET):
        yield bucket, bucket.properties.get("BucketName")
    key = (__name__, "bucket-names")
    index = ctx.cache.get(key)
    if index is None:
        index = ctx.cache[key] = _BucketNames(ctx.base_run_resources(BUCKET))
    for bucket, declared in index.candidates(name):
        if bucket.stack != ctx.stack:
            yield bucket, declared


class _Naming:
    """Values held by resources of the run that may name a bucket (``items``: (owner stack,
    value, payload), in run order), indexed by the stack their references point into and by
    the literal bucket name they hold; built once per run (``RuleContext.cache``)."""

    def __init__(self, items: list[tuple[str, Any, Any]]) -> None:
        self.items = items
        self.by_stack: dict[str, set[int]] = {}
        self.by_name: dict[str, set[int]] = {}
        for pos, (_owner, value, _payload) in enumerate(items):
            if isinstance(value, Unknown):
                continue
            refs = refs_in(value)
            if refs:
                for ref in refs:
                    if ref.stack:
                        self.by_stack.setdefault(ref.stack, set()).add(pos)
            elif isinstance(value, str):
                name = _bucket_name(value)
                if not is_opaque(name):
                    self.by_name.setdefault(name, set()).add(pos)

    def naming(self, stack: str, names: set[str]) -> list[tuple[str, Any, Any]]:
        """The items of the other stacks that may name a bucket of ``stack`` whose literal
        names are ``names``, in run order."""
        positions = set(self.by_stack.get(stack, ()))
        for name in names:
            positions |= self.by_name.get(name, set())
        return [self.items[p] for p in sorted(positions) if self.items[p][0] != stack]


def foreign_naming(ctx: Any, key: str, build: Any) -> list[tuple[str, Any, Any]]:
    """The (owner stack, value, payload) items of the OTHER templates of the run for which
    :func:`find_bucket` ``(ctx, value, owner)`` may return a bucket of the checked template,
    in run order. ``build(ctx)`` lists the items of the whole run (from the resources as
    resolved, :meth:`RuleContext.base_run_resources`) once per run, cached under ``key``.

    The others cannot: an unresolved value names nothing; a value with references names the
    bucket they point at, and one in another stack points here only through a reference
    qualified with this stack; a literal name matches a bucket of another stack only when the
    bucket's name is the same literal (a name known only at deploy time is never certain)."""
    cache_key = (__name__, "naming", key)
    index = ctx.cache.get(cache_key)
    if index is None:
        index = ctx.cache[cache_key] = _Naming(build(ctx))
    buckets = ctx.resources(BUCKET)
    own_key = (__name__, "own-names", ctx.stack)
    cached = ctx.cache.get(own_key)
    # the names of this template's buckets, once per variant (same bucket objects)
    if cached is None or len(cached[0]) != len(buckets) \
            or any(a is not b for a, b in zip(cached[0], buckets)):
        names = set()
        for bucket in buckets:
            declared = bucket.properties.get("BucketName")
            if isinstance(declared, str) and not is_opaque(declared):
                names.add(declared)
        cached = ctx.cache[own_key] = (buckets, names)
    return index.naming(ctx.stack, cached[1])


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


def _audit_naming(ctx: Any) -> list[tuple[str, Any, Any]]:
    """:func:`foreign_naming` of the audit references of the run (cached once per run)."""
    return foreign_naming(ctx, "audit", lambda c: [
        (ref.referrer.stack, ref.value, ref)
        for ref in audit_references(c.base_run_resources(*AUDIT_REFERRER_TYPES))])


def audit_destination_kinds(ctx: Any) -> dict[tuple[str, str], set[str]]:
    """``{(stack, logical id) of a bucket of the checked template: {kinds of audit logs it
    receives}}`` (the ``kind`` of :class:`AuditReference`, e.g. :data:`ACCESS_LOG_KIND`), from
    every audit reference of the run (``ctx.run_resources``) that names it. Only the references
    of the checked template and those of the other templates that may name one of its buckets
    (:func:`foreign_naming`) are looked at: the others cannot name a bucket here, so the run is
    not walked once per template."""
    kinds: dict[tuple[str, str], set[str]] = {}
    refs = list(audit_references(ctx.resources(*AUDIT_REFERRER_TYPES)))
    for ref in refs + [ref for _, _, ref in _audit_naming(ctx)]:
        bucket, _ = find_bucket(ctx, ref.value, ref.referrer.stack)
        if bucket is not None and bucket.stack == ctx.stack:
            kinds.setdefault((bucket.stack, bucket.logical_id), set()).add(ref.kind)
    return kinds


def audit_destinations(ctx: Any) -> tuple[dict[tuple[str, str], list[str]], list[tuple[
        AuditReference, str]]]:
    """``({(stack, logical id) of a bucket: [what sends audit logs to it]}, [(reference of
    the checked template whose destination is not a bucket of the run, why)])``. The first
    holds every bucket of the checked template that receives audit logs; buckets of other
    templates only where a reference of the checked template (or one that may name a bucket
    here, :func:`foreign_naming`) names them."""
    dests: dict[tuple[str, str], list[str]] = {}
    outside: list[tuple[AuditReference, str]] = []
    foreign = _audit_naming(ctx)
    refs = list(audit_references(ctx.resources(*AUDIT_REFERRER_TYPES)))
    for ref in refs + [ref for _, _, ref in foreign]:
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
