"""GOV-KMS-004: multi-Region KMS keys carry a recorded justification.

Source: RULES.md KMS-4; AWS KMS Developer Guide, "Multi-Region keys in AWS KMS" (the same key
material is shared by related keys in several Regions: "Security considerations"); AWS
GovCloud (US) User Guide, AWS KMS section.

An ``AWS::KMS::Key`` with ``MultiRegion: true`` (and every ``AWS::KMS::ReplicaKey``, which is
always a multi-Region key) must state why in its resource ``Metadata``::

    Metadata:
      govcdk:
        multi_region_justification: "<at least min_justification_chars characters>"

which is what govcdk's ``AgencyKeyring(multi_region=True, multi_region_justification=...)``
writes. Characters are counted as the keyring counts them: letters and digits only
(``re.sub(r"[\\W_]", "", text)``), default 20. Metadata is not resolved by CloudFormation, so a
non-string value FAILS. ``MultiRegion`` false or unset: NOT_APPLICABLE.
"""

from __future__ import annotations

import re
from typing import Any

from ...helpers import as_bool, describe
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

MIN_JUSTIFICATION_CHARS = 20
_PATH = ("Metadata", "govcdk", "multi_region_justification")


def check(resource: Any, ctx: Any) -> CheckResult:
    if resource.type == "AWS::KMS::Key":
        multi = as_bool(resource.properties.get("MultiRegion"))
        if isinstance(multi, Unknown):
            return CheckResult.unknown(f"MultiRegion cannot be resolved: {multi.reason}",
                                       ("Properties", "MultiRegion"))
        if multi is not True:
            return CheckResult.not_applicable("single-Region key (MultiRegion not true)")
        what = "MultiRegion: true"
    else:
        what = "a replica key (always multi-Region)"
    floor = int(ctx.params.get("min_justification_chars", MIN_JUSTIFICATION_CHARS))
    meta = resource.metadata.get("govcdk") if hasattr(resource.metadata, "get") else None
    text = meta.get("multi_region_justification") if isinstance(meta, dict) else None
    if text is None:
        return CheckResult.failed(f"{what} without Metadata.govcdk.multi_region_justification: "
                                  f"say why key material may leave the Region", _PATH)
    if not isinstance(text, str):
        return CheckResult.failed(f"Metadata.govcdk.multi_region_justification is "
                                  f"{describe(text)}, not a string", _PATH)
    count = len(re.sub(r"[\W_]", "", text))
    if count < floor:
        return CheckResult.failed(f"Metadata.govcdk.multi_region_justification {describe(text)} "
                                  f"has {count} letters and digits, fewer than {floor}", _PATH)
    return CheckResult.passed(f"{what}, justified: {describe(text)}", _PATH)


RULE = Rule(
    id="GOV-KMS-004",
    backlog=("KMS-4",),
    name="multi_region_key_justified",
    title="Multi-Region KMS keys record why their key material may leave the Region",
    scope="resource",
    resource_types=("AWS::KMS::Key", "AWS::KMS::ReplicaKey"),
    controls=("SC-12",),
    severity=Severity.MEDIUM,
    rationale=(
        "A multi-Region key shares its key material with related keys in other Regions, so "
        "whoever controls a replica's key policy can decrypt data protected in this Region. "
        "SC-12 key management expects key distribution to be a documented decision; the "
        "justification in the template is the record an assessor reads."),
    remediation=(
        "CDK: AgencyKeyring(..., multi_region=True, multi_region_justification='cross-Region "
        "disaster recovery of the case archive'), or leave multi_region off. CloudFormation: "
        "drop MultiRegion, or add Metadata: {govcdk: {multi_region_justification: '...'}} "
        "(at least 20 letters and digits) to the AWS::KMS::Key."),
    check=check,
    references=(
        "AWS KMS Developer Guide: Multi-Region keys in AWS KMS (Security considerations)",
        "AWS CloudFormation User Guide: AWS::KMS::Key MultiRegion; AWS::KMS::ReplicaKey",
        "NIST SP 800-53 Rev 5: SC-12 Cryptographic Key Establishment and Management",
    ),
    parameters={"min_justification_chars": MIN_JUSTIFICATION_CHARS},
)
