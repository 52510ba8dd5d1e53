"""Errors the policy engine raises.

``InputError`` is a usage or input problem (exit code 2 in the CLI contract): a path that does not
exist, a file that is not a CloudFormation template, a broken cloud assembly manifest.
``RuleError`` is a defect in the rule pack itself (a module without ``RULE``, a duplicate id),
found by :func:`govcdk.policies.engine.load_rules`.
"""

from __future__ import annotations


class PolicyError(Exception):
    """Base class of the policy engine's errors."""


class InputError(PolicyError):
    """An input the engine cannot check.

    The message starts with the offending path, e.g.
    ``"cdk.out/x.json: not a CloudFormation template: no Resources mapping"``.
    """


class RuleError(PolicyError):
    """The rule pack is malformed: a rule module without ``RULE``, a duplicate rule id, or a
    rule whose ``name`` differs from its module name."""
