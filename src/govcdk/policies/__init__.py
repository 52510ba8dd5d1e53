"""The govcdk policy engine: checks CloudFormation templates (CDK-synthesized or hand-written)
against the FedRAMP Rev 5 rule pack. It never imports ``aws_cdk``.

Entry points: :func:`check` (load, resolve, run rules -> :class:`Report`) and
:func:`load_rules`. Reporters live in :mod:`govcdk.policies.reporters`.
"""

from .engine import ResolvedResource, RuleContext, check, check_templates, load_rules
from .errors import InputError, InputProblem, PolicyError, RuleError
from .loader import LoadedTemplate, load_targets
from .model import CheckResult, Finding, Report, Rule, Severity, Status, TemplateInfo

__all__ = [
    "check",
    "check_templates",
    "load_rules",
    "load_targets",
    "InputError",
    "InputProblem",
    "PolicyError",
    "RuleError",
    "LoadedTemplate",
    "ResolvedResource",
    "RuleContext",
    "CheckResult",
    "Finding",
    "Report",
    "Rule",
    "Severity",
    "Status",
    "TemplateInfo",
]
