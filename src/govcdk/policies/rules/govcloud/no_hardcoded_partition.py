"""GOV-GOVCLOUD-001: resource properties never hard-code a partition other than GovCloud's.

An ARN is flagged when its partition is not ``aws-us-gov``: the commercial ``aws`` partition
(the common case) or any other (``aws-cn``, ``aws-iso``, ``aws-iso-b``...), none of which
exists in a GovCloud region. A literal ``arn:aws-us-gov:`` works in GovCloud and passes.

Source: RULES.md GOV-1; AWS GovCloud (US) User Guide, "Amazon Resource Names (ARNs) in AWS
GovCloud (US) Regions" (the partition is ``aws-us-gov``); AWS CloudFormation User Guide,
"Pseudo parameters reference" (``AWS::Partition``). Two scans, whose hits are merged (one per
property path):

- the RAW properties, before resolution, so the finding points at what the author wrote: a
  plain string, a literal part of ``Fn::Join`` (adjacent literal parts are concatenated with a
  placeholder for non-literal parts), or an ``Fn::Sub`` template. ``Fn::If`` branches are
  followed when their condition can be evaluated for the target region and parameters (a
  partition switch passes), else all branches are checked;
- the RESOLVED properties, as they would be in a GovCloud region (the target region when it is
  a GovCloud region, else us-gov-west-1, so that ``AWS::Partition`` and partition
  switches resolve to ``aws-us-gov``): this finds a commercial ARN that appears only once values
  are substituted, from a parameter default, a mapping value, a nested ``Fn::Join`` or an
  ``Fn::Sub`` variable. Paths are mapped back to the raw template.

Template ``Description``, ``Outputs`` and ``Metadata`` are not resources' properties and are
ignored.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ....govcloud import PARTITION as GOV_PARTITION
from ...model import CheckResult, Rule, Severity
from ...resolver import DEFAULT_REGION, intrinsic_name

# Built in two parts so a repository grep for the literal finds only templates, never code.
HARDCODED = "arn:" + "aws:"
_ARN_PARTITION = re.compile(r"arn:(aws(?:-[a-z]+)*):")
"""An ARN's partition: ``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``, ``aws-iso-b``..."""
_PLACEHOLDER = "\x00"


def _foreign(text: str) -> "re.Match[str] | None":
    """The first ARN in ``text`` whose partition is not ``aws-us-gov``: the commercial ``aws``
    partition, or any other (``aws-cn``, ``aws-iso``...), none of which exists in GovCloud."""
    for m in _ARN_PARTITION.finditer(text):
        if m.group(1) != GOV_PARTITION:
            return m
    return None


def _snippet(text: str) -> str:
    m = _foreign(text)
    if m is None:
        return HARDCODED
    end = re.compile(r"[\s\"',]").search(text, m.end())
    found = text[m.start():end.start() if end else len(text)]
    found = found.replace(_PLACEHOLDER, "${...}")
    shown = found if len(found) <= 80 else found[:77] + "..."
    if m.group(1) != "aws":
        shown += f" (partition {m.group(1)}, not {GOV_PARTITION})"
    return shown


class _Scanner:
    def __init__(self, resolver: Any) -> None:
        self.resolver = resolver
        self.results: list[CheckResult] = []
        self.strings = 0

    def hit(self, text: str, path: tuple[str | int, ...], where: str) -> None:
        self.results.append(CheckResult.failed(
            f"hard-coded partition in {where}: {_snippet(text)} (use ${{AWS::Partition}})",
            path))

    def scan(self, node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, str):
            self.strings += 1
            if _foreign(node):
                self.hit(node, path, "string")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                self.scan(item, path + (i,))
        elif isinstance(node, Mapping):
            fn = intrinsic_name(node)
            if fn is None:
                for key, value in node.items():
                    self.scan(value, path + (str(key),))
            elif fn == "Fn::Join":
                self.join(node[fn], path)
            elif fn == "Fn::Sub":
                self.sub(node[fn], path)
            elif fn == "Fn::If":
                self.if_(node[fn], path)
            else:
                self.scan(node[fn], path + (fn,))

    def join(self, arg: Any, path: tuple[str | int, ...]) -> None:
        if not (isinstance(arg, list) and len(arg) == 2):
            self.scan(arg, path + ("Fn::Join",))
            return
        delim, parts = arg
        if not isinstance(parts, list):
            self.scan(parts, path + ("Fn::Join", 1))
            return
        delim_text = delim if isinstance(delim, str) else _PLACEHOLDER
        text = delim_text.join(p if isinstance(p, str) else _PLACEHOLDER for p in parts)
        self.strings += 1
        if _foreign(text):
            self.hit(text, path, "Fn::Join")
        for i, part in enumerate(parts):
            if not isinstance(part, str):
                self.scan(part, path + ("Fn::Join", 1, i))

    def sub(self, arg: Any, path: tuple[str | int, ...]) -> None:
        template = arg[0] if isinstance(arg, list) and arg else arg
        if isinstance(template, str):
            self.strings += 1
            if _foreign(template):
                self.hit(template, path, "Fn::Sub")
        else:
            self.scan(template, path + ("Fn::Sub", 0))
        if isinstance(arg, list) and len(arg) > 1 and isinstance(arg[1], Mapping):
            for name, value in arg[1].items():
                self.scan(value, path + ("Fn::Sub", 1, str(name)))

    def if_(self, arg: Any, path: tuple[str | int, ...]) -> None:
        if not (isinstance(arg, list) and len(arg) == 3):
            self.scan(arg, path + ("Fn::If",))
            return
        chosen = self.resolver.condition(arg[0])
        if chosen is not False:
            self.scan(arg[1], path + ("Fn::If", 1))
        if chosen is not True:
            self.scan(arg[2], path + ("Fn::If", 2))


def _resolved_hits(node: Any, path: tuple[str | int, ...],
                   out: list[tuple[tuple[str | int, ...], str]]) -> None:
    if isinstance(node, str):
        if _foreign(node):
            out.append((path, node))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _resolved_hits(item, path + (i,), out)
    elif isinstance(node, dict):
        for key, value in node.items():
            _resolved_hits(value, path + (str(key),), out)


def _govcloud_resolver(resolver: Any) -> Any:
    return resolver if resolver.partition == GOV_PARTITION else \
        resolver.derive(region=DEFAULT_REGION)


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    scanner = _Scanner(ctx.resolver)
    raw = resource.raw.get("Properties")
    scanner.scan(raw if isinstance(raw, (Mapping, list)) else {}, ("Properties",))
    resolver = _govcloud_resolver(ctx.resolver)
    hits: list[tuple[tuple[str | int, ...], str]] = []
    _resolved_hits(resolver.resolve_resource(resource.logical_id), ("Properties",), hits)
    seen = [r.path for r in scanner.results]
    for path, text in hits:
        raw_path = resolver.raw_path(resource.logical_id, path)
        if any(p[:len(raw_path)] == raw_path or raw_path[:len(p)] == p for p in seen):
            continue    # the raw scan already reports this location
        seen.append(raw_path)
        scanner.results.append(CheckResult.failed(
            f"hard-coded partition in the resolved value: {_snippet(text)} (from a "
            f"parameter, mapping or intrinsic function; use ${{AWS::Partition}})", raw_path))
    if scanner.results:
        return scanner.results
    if scanner.strings == 0:
        return CheckResult.passed("no string values in Properties")
    return CheckResult.passed(f"no hard-coded partition in {scanner.strings} string value(s)")


RULE = Rule(
    id="GOV-GOVCLOUD-001",
    backlog=("GOV-1",),
    name="no_hardcoded_partition",
    title="Resource properties build ARNs with AWS::Partition instead of a hard-coded "
          "commercial partition",
    scope="resource",
    resource_types=("*",),
    controls=("CM-6", "CM-2"),
    severity=Severity.HIGH,
    rationale=(
        "ARNs in AWS GovCloud (US) use the aws-us-gov partition. A literal commercial-partition "
        "ARN fails at deployment (MalformedPolicyDocument, invalid ARN) or, worse, silently "
        "grants nothing, so the configuration the baseline documents (CM-2) is not the one "
        "deployed (CM-6). It is the most common GovCloud deployment failure, and cfn-lint's "
        "I3042 only inspects Fn::Sub strings."),
    remediation=(
        "CDK: Stack.of(self).format_arn(...), Aws.PARTITION or the construct's .arn attributes; "
        "never a string literal ARN. CloudFormation: "
        "!Sub 'arn:${AWS::Partition}:service:${AWS::Region}:${AWS::AccountId}:...' or "
        "Fn::Join with {Ref: AWS::Partition}."),
    check=check,
    references=(
        "AWS GovCloud (US) User Guide: Amazon Resource Names (ARNs) in AWS GovCloud (US) Regions",
        "AWS CloudFormation User Guide: Pseudo parameters reference (AWS::Partition)",
        "cfn-lint rule I3042 and aws-cloudformation/cfn-lint#2679 (plain-string and Fn::Join "
        "ARNs not inspected)",
        "NIST SP 800-53 Rev 5: CM-6 Configuration Settings; CM-2 Baseline Configuration",
    ),
    raw_paths=True,
    equivalents={"cfn-lint": ("I3042",)},
)
