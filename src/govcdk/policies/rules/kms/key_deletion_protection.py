"""GOV-KMS-003: KMS keys wait the longest pending window before deletion and are retained when
their stack deletes or replaces them.

Source: RULES.md KMS-3; AWS KMS Developer Guide, "Deleting AWS KMS keys" (a waiting period of
7 to 30 days, default 30, during which deletion can be cancelled); AWS CloudFormation User
Guide, ``AWS::KMS::Key`` ``PendingWindowInDays``, "DeletionPolicy attribute" and
"UpdateReplacePolicy attribute" (absent = ``Delete``, which schedules the key's deletion).

Checked on ``AWS::KMS::Key`` and ``AWS::KMS::ReplicaKey``:

- ``PendingWindowInDays`` (a property) at least ``min_pending_window_days`` (default 30, the
  KMS maximum); unset means 30 and passes; a value outside 7..30 FAILS (CloudFormation rejects
  it);
- ``DeletionPolicy`` and ``UpdateReplacePolicy`` are resource *attributes*, not properties:
  the engine does not resolve them, so the check reads them from the resource as written
  (``resource.raw``) and resolves them itself with the template's resolver (``ctx.resolve``:
  ``AWS::LanguageExtensions`` allows ``Ref`` and ``Fn::If`` there). Each must be ``Retain``;
  ``DeletionPolicy: RetainExceptOnCreate`` is accepted (it deletes only a key whose stack
  creation rolled back, which protects nothing yet). Absent FAILS (CloudFormation deletes).
  Paths are ``("DeletionPolicy",)`` and ``("UpdateReplacePolicy",)``.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_int, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

MIN_PENDING_WINDOW_DAYS = 30
KMS_MIN_WINDOW, KMS_MAX_WINDOW = 7, 30
_ACCEPTED = {"DeletionPolicy": ("Retain", "RetainExceptOnCreate"),
             "UpdateReplacePolicy": ("Retain",)}


def _attribute(resource: Any, ctx: Any, name: str) -> CheckResult:
    raw = resource.raw.get(name) if hasattr(resource.raw, "get") else None
    path = (name,)
    if raw is None:
        return CheckResult.failed(f"{name} not set: CloudFormation deletes the key (schedules "
                                  f"its deletion) with the stack; set {name}: Retain", path)
    value = literal(ctx.resolve(raw), name)
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{name} cannot be resolved: {value.reason}", path)
    if value in _ACCEPTED[name]:
        return CheckResult.passed(f"{name} {value}", path)
    when = "deletes" if name == "DeletionPolicy" else "replaces"
    return CheckResult.failed(f"{name} {describe(value)}: the key is scheduled for deletion "
                              f"when the stack {when} it; set {name}: Retain", path)


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    floor = int(ctx.params.get("min_pending_window_days", MIN_PENDING_WINDOW_DAYS))
    results: list[CheckResult] = []
    path = ("Properties", "PendingWindowInDays")
    raw = resource.properties.get("PendingWindowInDays")
    days = as_int(raw) if raw is not None else KMS_MAX_WINDOW
    if isinstance(days, Unknown):
        results.append(CheckResult.unknown(f"PendingWindowInDays cannot be resolved: "
                                           f"{days.reason}", path))
    elif not isinstance(days, int) or not KMS_MIN_WINDOW <= days <= KMS_MAX_WINDOW:
        results.append(CheckResult.failed(f"PendingWindowInDays {describe(raw)} is not a valid "
                                          f"waiting period ({KMS_MIN_WINDOW}..{KMS_MAX_WINDOW} "
                                          f"days)", path))
    elif days < floor:
        results.append(CheckResult.failed(f"PendingWindowInDays {days} is below {floor} days",
                                          path))
    else:
        shown = f"{days}" if raw is not None else f"not set (KMS default {days})"
        results.append(CheckResult.passed(f"PendingWindowInDays {shown}", path))
    results.append(_attribute(resource, ctx, "DeletionPolicy"))
    results.append(_attribute(resource, ctx, "UpdateReplacePolicy"))
    failing = [r for r in results if r.status.failing]
    if failing:
        return failing
    return CheckResult.passed("; ".join(r.message for r in results), path)


RULE = Rule(
    id="GOV-KMS-003",
    backlog=("KMS-3",),
    name="key_deletion_protection",
    title="KMS keys have a 30-day deletion waiting period and are retained when their stack "
          "deletes or replaces them",
    scope="resource",
    resource_types=("AWS::KMS::Key", "AWS::KMS::ReplicaKey"),
    controls=("SC-12", "CP-9"),
    severity=Severity.HIGH,
    rationale=(
        "Deleting a KMS key makes every ciphertext under it unrecoverable, including backups "
        "(CP-9) and archived audit records. SC-12 key management needs key destruction to be "
        "deliberate: the longest waiting period leaves 30 days to cancel a mistaken deletion, "
        "and Retain keeps a stack deletion or replacement from scheduling one at all."),
    remediation=(
        "CDK: kms.Key(self, 'Key', pending_window=Duration.days(30), "
        "removal_policy=RemovalPolicy.RETAIN) (govcdk's AgencyKeyring does this). "
        "CloudFormation: AWS::KMS::Key with DeletionPolicy: Retain, UpdateReplacePolicy: Retain "
        "and PendingWindowInDays: 30 (or unset)."),
    check=check,
    references=(
        "AWS KMS Developer Guide: Deleting AWS KMS keys (waiting period)",
        "AWS CloudFormation User Guide: AWS::KMS::Key PendingWindowInDays; DeletionPolicy "
        "attribute; UpdateReplacePolicy attribute",
        "NIST SP 800-53 Rev 5: SC-12 Cryptographic Key Establishment and Management; CP-9 "
        "System Backup",
    ),
    parameters={"min_pending_window_days": MIN_PENDING_WINDOW_DAYS},
)
