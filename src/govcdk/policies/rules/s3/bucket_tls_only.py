"""GOV-S3-007: S3 bucket policies deny requests that do not use TLS.

Source: RULES.md NET-9 (for buckets); Amazon S3 User Guide, "Bucket policy examples" (managing
access based on HTTP or HTTPS requests: ``aws:SecureTransport``) and "Amazon S3 condition key
examples" (``s3:TlsVersion``); IAM User Guide, "IAM JSON policy elements: Condition operators"
(condition key names are case-insensitive; a condition on a key absent from the request is false
unless the operator ends in ``IfExists``).

The bucket's ``AWS::S3::BucketPolicy`` (joined through its ``Bucket``: ``Ref``, the literal name
the bucket declares, or an import from another stack of the run) must hold Deny statements for
every principal (``"*"`` or ``{"AWS": "*"}``), every S3 action (``s3:*`` or ``*``), on the bucket
ARN and on all its objects (``<bucket ARN>/*``, in any spelling: ``Fn::GetAtt Arn``,
``Fn::Sub``, ``Fn::Join``, a literal ARN, one value or a list, one statement or two), whose only
condition is either ``Bool``/``BoolIfExists`` ``aws:SecureTransport`` false (boolean or string)
or ``NumericLessThanIfExists`` ``s3:TlsVersion`` 1.2 (or higher). A ``NumericLessThan``
``s3:TlsVersion`` deny without ``IfExists`` is not enough on its own: a plain-HTTP request carries
no TLS version, so the condition is false and the request is not denied. A bucket without a
policy fails.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from ...helpers import as_bool, describe, raw_ref_ids
from ...iam_documents import document_mapping
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import AttrRef, ResourceRef, Unknown, partition_for_region
from ._buckets import find_bucket, foreign_naming, label

POLICY = "AWS::S3::BucketPolicy"
TLS_FLOOR = 1.2
_TOKEN = re.compile(r"\$\{(Ref|GetAtt):(?:([^{}:]+)::)?([A-Za-z0-9]+)(?:\.([^}]+))?\}")
_ME = "\x00bucket\x00"


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _is_me(ctx: Any, bucket: Any, owner: str, stack: str, lid: str) -> bool:
    res = ctx.target(ResourceRef(lid, stack), owner)
    return res is not None and (res.stack, res.logical_id) == (bucket.stack, bucket.logical_id)


def _covers(ctx: Any, bucket: Any, owner: str, value: Any, partition: str
            ) -> tuple[bool, bool] | Unknown:
    """(covers the bucket ARN, covers every object ARN) for one policy Resource value."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, AttrRef):
        if value.attribute == "Arn" and _is_me(ctx, bucket, owner, value.stack, value.logical_id):
            return True, False
        return False, False
    if not isinstance(value, str):
        return False, False

    def swap(m: re.Match[str]) -> str:
        kind, stack, lid, attr = m.groups()
        if not _is_me(ctx, bucket, owner, stack or "", lid):
            return m.group(0)
        if kind == "Ref":
            return _ME
        return f"arn:{partition}:s3:::{_ME}" if attr == "Arn" else m.group(0)

    text = _TOKEN.sub(swap, value)
    prefix = f"arn:{partition}:s3:::"
    if not text.startswith(prefix):
        return False, False
    pattern = text[len(prefix):]
    names = [_ME]
    declared = bucket.properties.get("BucketName")
    if isinstance(declared, str):
        names.append(declared)
    on_bucket = any(fnmatch.fnmatchcase(n, pattern) for n in names)
    on_objects = any(fnmatch.fnmatchcase(n + "/\x02", pattern)
                     and fnmatch.fnmatchcase(n + "/a/b.txt", pattern) for n in names)
    return on_bucket, on_objects


def _all_principals(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict) and set(principal) == {"AWS"}:
        return "*" in _items(principal["AWS"])
    return False


def _condition(cond: Any) -> str | Unknown | None:
    """``"transport"`` for a qualifying TLS condition, ``"tls-no-ifexists"`` for a
    ``NumericLessThan`` ``s3:TlsVersion`` without ``IfExists``, else None."""
    if isinstance(cond, Unknown):
        return cond
    if not isinstance(cond, dict) or len(cond) != 1:
        return None
    (op, block), = cond.items()
    if isinstance(block, Unknown):
        return block
    if not isinstance(block, dict) or len(block) != 1:
        return None
    (key, values), = block.items()
    op, key = str(op).lower(), str(key).lower()
    values = _items(values)
    if op in ("bool", "boolifexists") and key == "aws:securetransport":
        verdicts = [as_bool(v) for v in values]
        for v in verdicts:
            if isinstance(v, Unknown):
                return v
        return "transport" if False in verdicts else None
    if op in ("numericlessthan", "numericlessthanifexists") and key == "s3:tlsversion":
        for v in values:
            if isinstance(v, Unknown):
                return v
            try:
                floor = float(v)
            except (TypeError, ValueError):
                return None
            if floor >= TLS_FLOOR:
                return "transport" if op.endswith("ifexists") else "tls-no-ifexists"
    return None


def _judge(ctx: Any, bucket: Any, policy: Any) -> CheckResult:
    path = ("Properties",)
    name = label(ctx, policy)
    doc = document_mapping(policy.properties.get("PolicyDocument"),
                           ("Properties", "PolicyDocument"), f"bucket policy {name}")
    if isinstance(doc, CheckResult):            # a JSON string that cannot be read
        return CheckResult(doc.status, doc.message, path)
    if isinstance(doc, Unknown):
        return CheckResult.unknown(f"bucket policy {name} PolicyDocument cannot be resolved: "
                                   f"{doc.reason}", path)
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if isinstance(statements, Unknown):
        return CheckResult.unknown(f"bucket policy {name} Statement cannot be resolved: "
                                   f"{statements.reason}", path)
    partition = partition_for_region(policy.resolver.region)
    bucket_ok = objects_ok = False
    unsure: list[str] = []
    tls_only = False
    for i, st in enumerate(_items(statements)):
        if isinstance(st, Unknown):
            unsure.append(f"statement {i}: {st.reason}")
            continue
        if not isinstance(st, dict) or st.get("Effect") != "Deny":
            continue
        if not _all_principals(st.get("Principal")):
            continue
        actions = [a.lower() for a in _items(st.get("Action")) if isinstance(a, str)]
        if not ({"*", "s3:*"} & set(actions)):
            continue
        kind = _condition(st.get("Condition"))
        if isinstance(kind, Unknown):
            unsure.append(f"statement {i} Condition: {kind.reason}")
            continue
        if kind == "tls-no-ifexists":
            tls_only = True
            continue
        if kind != "transport":
            continue
        for res in _items(st.get("Resource")):
            got = _covers(ctx, bucket, policy.stack, res, partition)
            if isinstance(got, Unknown):
                unsure.append(f"statement {i} Resource: {got.reason}")
                continue
            bucket_ok = bucket_ok or got[0]
            objects_ok = objects_ok or got[1]
    if bucket_ok and objects_ok:
        return CheckResult.passed(f"bucket policy {name} denies requests without TLS on the "
                                  f"bucket and its objects", path)
    if unsure:
        return CheckResult.unknown(f"bucket policy {name}: " + "; ".join(unsure), path)
    missing = " and ".join(w for w, ok in (("the bucket", bucket_ok),
                                           ("its objects (<bucket ARN>/*)", objects_ok)) if not ok)
    note = ("; its NumericLessThan s3:TlsVersion deny does not deny plain HTTP (the key is "
            "absent from such requests): use NumericLessThanIfExists or add an "
            "aws:SecureTransport deny") if tls_only else ""
    return CheckResult.failed(f"bucket policy {name} has no Deny for all principals and s3:* "
                              f"with Bool aws:SecureTransport false on {missing}{note}", path)


def check(resource: Any, ctx: Any) -> CheckResult:
    mine: list[Any] = []
    maybe: list[str] = []
    # This template's bucket policies, then those of other templates that may name one of its
    # buckets (what ctx.run_resources(POLICY) gives, less policies that cannot be this one's).
    foreign = foreign_naming(ctx, "bucket-policies", lambda c: [
        (p.stack, p.properties.get("Bucket"), p) for p in c.base_run_resources(POLICY)])
    for policy in ctx.resources(POLICY) + [p for _, _, p in foreign]:
        target, reason = find_bucket(ctx, policy.properties.get("Bucket"), policy.stack)
        if target is not None:
            if (target.stack, target.logical_id) == (resource.stack, resource.logical_id):
                mine.append(policy)
        elif reason and policy.stack == resource.stack:
            # An unresolved Bucket may name this bucket unless it refers to another resource;
            # one in another stack cannot (this stack would export the name it imports).
            ids = raw_ref_ids(policy.raw_properties.get("Bucket"))
            if not {i for i in ids if ctx.resource(i) is not None and i != resource.logical_id}:
                maybe.append(f"{label(ctx, policy)} Bucket {reason}")
    if not mine:
        if maybe:
            return CheckResult.unknown("no bucket policy names this bucket for certain: "
                                       + "; ".join(maybe), ("Properties",))
        return CheckResult.failed("no AWS::S3::BucketPolicy for this bucket: requests over "
                                  "plain HTTP are not denied", ("Properties",))
    results = [_judge(ctx, resource, p) for p in mine]
    passing = [r for r in results if r.status == Status.PASS]
    if passing:
        return passing[0]
    return next((r for r in results if r.status == Status.UNKNOWN), results[0])


RULE = Rule(
    id="GOV-S3-007",
    backlog=("NET-9",),
    name="bucket_tls_only",
    title="S3 bucket policies deny every request to the bucket and its objects that does not "
          "use TLS",
    scope="resource",
    resource_types=("AWS::S3::Bucket",),
    controls=("SC-8", "SC-8(1)", "SC-13", "SC-23"),
    severity=Severity.HIGH,
    rationale=(
        "S3 answers plain HTTP as well as HTTPS. SC-8 and SC-8(1) require cryptographic "
        "protection of information in transit (with FIPS-validated cryptography, SC-13) and "
        "SC-23 the authenticity of sessions; only a bucket policy that denies requests whose "
        "aws:SecureTransport is false enforces that for every client, including misconfigured "
        "SDKs and scripts. Other tools match one literal spelling of the policy and reject "
        "equivalent ones."),
    remediation=(
        "CDK: s3.Bucket(self, 'Bucket', enforce_ssl=True) (optionally minimum_tls_version=1.2). "
        "CloudFormation: AWS::S3::BucketPolicy with Bucket Ref <Bucket> and a statement "
        "{Effect: Deny, Principal: '*', Action: 's3:*', Resource: [Fn::GetAtt Bucket.Arn, "
        "Fn::Sub '${Bucket.Arn}/*'], Condition: {Bool: {'aws:SecureTransport': 'false'}}}."),
    check=check,
    references=(
        "Amazon S3 User Guide: Bucket policy examples (managing access based on HTTP or HTTPS "
        "requests)",
        "Amazon S3 User Guide: Amazon S3 condition key examples (s3:TlsVersion)",
        "IAM User Guide: IAM JSON policy elements: Condition operators (...IfExists)",
        "AWS CloudFormation User Guide: AWS::S3::BucketPolicy",
        "NIST SP 800-53 Rev 5: SC-8 Transmission Confidentiality and Integrity; SC-8(1) "
        "Cryptographic Protection; SC-13 Cryptographic Protection; SC-23 Session Authenticity",
    ),
    equivalents={
        "checkov": (),
        "guard": ("S3_BUCKET_SSL_REQUESTS_ONLY",),
        "cdk-nag": ("NIST.800.53.R5-S3BucketSSLRequestsOnly", "AwsSolutions-S10"),
    },
)
