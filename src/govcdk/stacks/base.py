"""What every agency stack shares: explicit GovCloud environment, real AZs, tags."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnRule, CfnRuleAssertion, Environment, Fn, Stack, Tags
from constructs import Construct

from govcdk import govcloud
from govcdk.config import TAGS_LEAVE_BOUNDARY, AgencyConfig, AgencyConfigError, tag_problems

_TAG_FIELDS = {
    "govcdk:agency": "agency.code",
    "govcdk:system-id": "agency.system_id",
    "govcdk:impact-level": "impact_level",
    "govcdk:data-classification": "data_classification",
}


def agency_tags(config: AgencyConfig) -> dict[str, str]:
    """The tags on every agency resource: ``govcdk:agency``, ``govcdk:system-id``,
    ``govcdk:impact-level``, ``govcdk:data-classification``, then the agency file's ``tags``.

    Tags leave the AWS GovCloud (US) boundary in AWS metadata, so every key and value is checked
    against AWS's tag rules (:func:`govcdk.config.tag_problems`: key 1..128, value 0..256
    characters of letters, digits, spaces and ``_ . : / = + - @``, no ``aws:`` prefix).
    :func:`~govcdk.config.load_agency` already refuses bad values; a config built another way
    (``model_construct``) is caught here. Raises :class:`~govcdk.config.AgencyConfigError`
    naming the agency file field.
    """
    tags = {
        "govcdk:agency": config.agency.code,
        "govcdk:system-id": config.agency.system_id,
        "govcdk:impact-level": config.impact_level.value,
        "govcdk:data-classification": config.data_classification.value,
    }
    problems = []
    for key, value in tags.items():
        found = [p for p in tag_problems(key, value) if "reserved for govcdk" not in p]
        if found:
            problems.append(f"agency file field {_TAG_FIELDS[key]}: bad value {value!r} for tag "
                            f"{key}: {'; '.join(found)}")
    for key, value in (config.tags or {}).items():
        found = tag_problems(key, value)
        if found:
            problems.append(f"agency file field tags.{key}: bad value {value!r}: {'; '.join(found)}")
        tags.setdefault(key, value)
    if problems:
        raise AgencyConfigError("\n".join(problems) + f"\n({TAGS_LEAVE_BOUNDARY})")
    return tags


class AgencyStack(Stack):
    """Base class: ``env`` set from the agency file (``region`` overrides the agency's Region,
    for the audit replica in the other GovCloud Region), a CloudFormation rule ``TargetRegion``
    that fails any deployment outside that region, availability zones from
    :mod:`govcdk.govcloud` (never ``dummy1a``, never a context lookup), termination
    protection on, and the agency tags (:func:`agency_tags`) on the stack itself and on every
    taggable resource: ``govcdk:agency``, ``govcdk:system-id``, ``govcdk:impact-level``,
    ``govcdk:data-classification`` and the agency file's ``tags``. Raises
    :class:`~govcdk.config.AgencyConfigError` for a tag AWS would refuse.
    """

    def __init__(self, scope: Construct, id: str, *, config: AgencyConfig, description: str,
                 region: str | None = None, **kwargs: Any) -> None:
        region = region or config.region
        tags = agency_tags(config)
        super().__init__(
            scope, id,
            env=Environment(account=config.account, region=region),
            description=f"govcdk {config.agency.code}: {description}",
            termination_protection=True,
            # Stack tags (the manifest's ``tags``; ``cdk deploy`` sets them on the deployed stack,
            # where ``govcdk verify`` finds the agency's stacks by ``govcdk:agency``). With
            # @aws-cdk/core:explicitStackTags they must be given here; Tags.of() below tags the
            # resources.
            tags=tags,
            **kwargs,
        )
        self.config = config
        self._azs = list(govcloud.region(region).availability_zones)
        # GOV-2: the stack deploys only to the region it was synthesized and checked for.
        CfnRule(self, "TargetRegion", assertions=[CfnRuleAssertion(
            assert_=Fn.condition_equals(Aws.REGION, region),
            assert_description=(f"{id} was synthesized and checked for {region} "
                                f"(agency {config.agency.code}); deploy it there or re-synthesize"),
        )])
        for key, value in tags.items():
            Tags.of(self).add(key, value)

    @property
    def availability_zones(self) -> list[str]:
        """The region's real availability zone names (overrides CDK's context lookup)."""
        return self._azs
