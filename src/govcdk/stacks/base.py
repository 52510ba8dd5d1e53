"""What every agency stack shares: explicit GovCloud environment, real AZs, tags."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnRule, CfnRuleAssertion, Environment, Fn, Stack, Tags
from constructs import Construct

from govcdk import govcloud
from govcdk.config import AgencyConfig


def agency_tags(config: AgencyConfig) -> dict[str, str]:
    """The tags on every agency resource. Values are identifiers only: tags leave the GovCloud
    boundary in AWS metadata."""
    return {
        "govcdk:agency": config.agency.code,
        "govcdk:system-id": config.agency.system_id,
        "govcdk:impact-level": config.impact_level.value,
        "govcdk:data-classification": config.data_classification.value,
    }


class AgencyStack(Stack):
    """Base class: ``env`` set from the agency file, a CloudFormation rule ``TargetRegion``
    that fails any deployment outside that region, availability zones from
    :mod:`govcdk.govcloud` (never ``dummy1a``, never a context lookup), termination
    protection on, and the agency tags on the stack itself and on every taggable resource:
    ``govcdk:agency``, ``govcdk:system-id``, ``govcdk:impact-level``,
    ``govcdk:data-classification``.
    """

    def __init__(self, scope: Construct, id: str, *, config: AgencyConfig, description: str,
                 **kwargs: Any) -> None:
        super().__init__(
            scope, id,
            env=Environment(account=config.account, region=config.region),
            description=f"govcdk {config.agency.code}: {description}",
            termination_protection=True,
            # Stack tags (the manifest's ``tags``; ``cdk deploy`` sets them on the deployed stack,
            # where ``govcdk verify`` finds the agency's stacks by ``govcdk:agency``). With
            # @aws-cdk/core:explicitStackTags they must be given here; Tags.of() below tags the
            # resources.
            tags=agency_tags(config),
            **kwargs,
        )
        self.config = config
        self._azs = list(govcloud.region(config.region).availability_zones)
        # GOV-2: the stack deploys only to the region it was synthesized and checked for.
        CfnRule(self, "TargetRegion", assertions=[CfnRuleAssertion(
            assert_=Fn.condition_equals(Aws.REGION, config.region),
            assert_description=(f"{id} was synthesized and checked for {config.region} "
                                f"(agency {config.agency.code}); deploy it there or re-synthesize"),
        )])
        for key, value in agency_tags(config).items():
            Tags.of(self).add(key, value)

    @property
    def availability_zones(self) -> list[str]:
        """The region's real availability zone names (overrides CDK's context lookup)."""
        return self._azs
