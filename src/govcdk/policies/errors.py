"""Errors the policy engine raises, and the input problems a check run reports.

``InputError`` is a usage or input problem (exit code 2 in the CLI contract): a path that does not
exist, a file that is not a CloudFormation template, a broken cloud assembly manifest.
``RuleError`` is a defect in the rule pack itself (a module without ``RULE``, a duplicate id),
found by :func:`govcdk.policies.engine.load_rules`.

:class:`InputProblem` is one such problem as data: ``govcdk check`` records one per file (or per
resource, cycle...) it cannot check, keeps checking the other files, lists the problems in every
report format (``Report.input_errors``) and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class InputProblem:
    """Why one input cannot be checked.

    ``path`` is the file (template or cloud assembly manifest); ``message`` says what is wrong
    and what is allowed, naming the logical ID when there is one; ``logical_id`` is that logical
    ID (a resource, or a condition for a circular condition), ``""`` for a file-level problem;
    ``kind`` is a stable token for programs:

    - ``"unreadable"``: the file cannot be read (permissions, not UTF-8 text, a directory);
    - ``"syntax"``: not valid YAML or JSON;
    - ``"not-a-template"``: top level not a mapping, ``Resources`` missing, not a mapping or
      empty;
    - ``"resource"``: a resource that is not a mapping, has no ``Type`` or a ``Type`` that is
      not a string;
    - ``"intrinsic"``: an ``Fn::`` function CloudFormation does not define (``Fn::Bogus``);
    - ``"circular"``: resources (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``DependsOn``) or
      conditions that depend on each other in a cycle;
    - ``"too-large"``: a file over :data:`govcdk.policies.validate.MAX_TEMPLATE_BYTES`;
    - ``"too-many-resources"``: more resources than CloudFormation's quota
      (:data:`govcdk.policies.validate.MAX_RESOURCES`);
    - ``"manifest"``: a cloud assembly manifest that is broken or names a missing template.
    - ``"nested"``: a nested stack's template, not checked because its parent could not be.
    - ``"reference"``: a reference CloudFormation refuses (a ``Ref``, ``Fn::GetAtt``,
      ``Fn::Sub`` variable, ``DependsOn`` or condition naming nothing declared; a malformed
      ``Fn::If``; a literal ``Fn::Select`` past its list). The template is still checked
      (``checked`` is True): what the reference feeds is UNKNOWN in the findings.

    ``line`` is the 1-based line of the problem when known; ``location`` the template path of
    it (``Resources.Bucket.Properties.BucketName``), ``""`` when the whole file is concerned.
    """

    path: str
    message: str
    logical_id: str = ""
    kind: str = "not-a-template"
    line: int | None = None
    location: str = ""
    checked: bool = False

    def describe(self) -> str:
        """``"<path>: <message>"``, the one-line form printed on the terminal."""
        return f"{self.path}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """``{"path", "message", "logical_id", "kind", "line", "location", "checked"}``
        (``checked``: whether the rest of the template was checked all the same)."""
        return {"path": self.path, "message": self.message, "logical_id": self.logical_id,
                "kind": self.kind, "line": self.line, "location": self.location,
                "checked": self.checked}


class PolicyError(Exception):
    """Base class of the policy engine's errors."""


class InputError(PolicyError):
    """An input the engine cannot check.

    The message starts with the offending path, e.g.
    ``"cdk.out/x.json: not a CloudFormation template: no Resources mapping"``. ``problems``
    lists the :class:`InputProblem` entries behind it (one or more for a template, e.g. two
    resources without a ``Type``; empty for a usage problem such as a missing path).
    """

    def __init__(self, message: str, problems: Iterable[InputProblem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[InputProblem, ...] = tuple(problems)

    @classmethod
    def of(cls, problems: Iterable[InputProblem]) -> "InputError":
        """One error for ``problems`` (at least one): the first one's text, and how many more."""
        found = list(problems)
        text = found[0].describe()
        if len(found) > 1:
            text += f" (and {len(found) - 1} more problem{'s' if len(found) > 2 else ''} in this file)"
        return cls(text, found)


class RuleError(PolicyError):
    """The rule pack is malformed: a rule module without ``RULE``, a duplicate rule id, or a
    rule whose ``name`` differs from its module name."""
