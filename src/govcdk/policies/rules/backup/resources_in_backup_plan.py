"""GOV-BACKUP-001: every stateful resource is selected by an AWS Backup plan.

Source: RULES.md BKP-1; AWS Backup Developer Guide, "Assigning resources to a backup plan"
(selection by resource ARN, with ``*`` wildcards, and by tags) and API Reference,
``BackupSelection`` (``ListOfTags``: ``StringEquals`` tests joined with OR; ``Conditions``:
``StringEquals``/``StringNotEquals``/``StringLike``/``StringNotLike`` tests joined with AND;
``NotResources`` excludes); CloudFormation ``AWS::Backup::BackupSelection``.

Stateful resources: ``AWS::EC2::Volume``, ``AWS::EFS::FileSystem``, ``AWS::FSx::FileSystem``,
``AWS::RDS::DBInstance``, ``AWS::RDS::DBCluster``, ``AWS::DynamoDB::Table``,
``AWS::DynamoDB::GlobalTable``. NOT_APPLICABLE: a DB instance of a DB cluster
(``DBClusterIdentifier``: AWS Backup protects the cluster) and a Lustre file system of a
``SCRATCH_*`` deployment type (AWS Backup cannot back up scratch file systems).

A selection of any template of the run, in the resource's region, selects a resource when it
is not in ``NotResources`` and (its ``Resources`` hold ``"*"``, a reference to the resource
(``Fn::GetAtt``, ``Fn::Sub``/``Fn::Join`` over a reference) or a literal ARN pattern covering
it, or a ``ListOfTags`` test matches the resource's tags) and every ``Conditions`` test holds.
Decision: a selection with ``Conditions`` but neither ``Resources`` nor ``ListOfTags`` is read
as selecting every resource its conditions match. Tags are the resource's template tags
(``Tags``; ``FileSystemTags`` for EFS; the replicas' ``Tags`` for global tables); tag keys are
compared with and without the ``aws:ResourceTag/`` prefix. Stack-level tags that CloudFormation
propagates are not in the template and are not seen. A template without stateful resources has
nothing to report.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterable

from ...helpers import describe, literal, refs_in
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown, is_opaque
from ..rds.database_backup_protection import cluster_member

# type -> (ARN service, resource-part prefix, name property, tags property)
STATEFUL: dict[str, tuple[str, str, str | None, str]] = {
    "AWS::EC2::Volume": ("ec2", "volume/", None, "Tags"),
    "AWS::EFS::FileSystem": ("elasticfilesystem", "file-system/", None, "FileSystemTags"),
    "AWS::FSx::FileSystem": ("fsx", "file-system/", None, "Tags"),
    "AWS::RDS::DBInstance": ("rds", "db:", "DBInstanceIdentifier", "Tags"),
    "AWS::RDS::DBCluster": ("rds", "cluster:", "DBClusterIdentifier", "Tags"),
    "AWS::DynamoDB::Table": ("dynamodb", "table/", "TableName", "Tags"),
    "AWS::DynamoDB::GlobalTable": ("dynamodb", "table/", "TableName", "Tags"),
}
SELECTION = "AWS::Backup::BackupSelection"
_TAG_PREFIX = "aws:resourcetag/"


def _any(values: Iterable[Any]) -> Any:
    """Three-valued OR: True if any is True, else the first Unknown, else False."""
    unsure = None
    for v in values:
        if v is True:
            return True
        if isinstance(v, Unknown) and unsure is None:
            unsure = v
    return unsure if unsure is not None else False


def _all(values: Iterable[Any]) -> Any:
    """Three-valued AND: False if any is False, else the first Unknown, else True."""
    unsure = None
    for v in values:
        if v is False:
            return False
        if isinstance(v, Unknown) and unsure is None:
            unsure = v
    return unsure if unsure is not None else True


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _tags(res: Any) -> dict[str, Any] | Unknown:
    """Tag key -> resolved value of a stateful resource (values may be Unknown)."""
    props = res.properties
    prop = STATEFUL[res.type][3]
    if res.type == "AWS::DynamoDB::GlobalTable":
        replicas = props.get("Replicas")
        if isinstance(replicas, Unknown):
            return replicas
        lists = [r.get("Tags") for r in _as_list(replicas) if isinstance(r, dict)]
    else:
        lists = [props.get(prop)]
    out: dict[str, Any] = {}
    for tags in lists:
        if isinstance(tags, Unknown):
            return tags
        for tag in _as_list(tags) if tags is not None else []:
            if isinstance(tag, Unknown):
                return tag
            if isinstance(tag, dict) and isinstance(tag.get("Key"), str):
                out[tag["Key"]] = tag.get("Value")
    return out


def _tag_key(key: Any) -> Any:
    if isinstance(key, str) and key.lower().startswith(_TAG_PREFIX):
        return key[len(_TAG_PREFIX):]
    return key


def _tag_test(tags: dict[str, Any], test: Any, operator: str) -> Any:
    """One ``{ConditionKey, ConditionValue}`` test under ``operator`` (StringEquals,
    StringNotEquals, StringLike, StringNotLike)."""
    if isinstance(test, Unknown):
        return test
    if not isinstance(test, dict):
        return False
    key = literal(_tag_key(test.get("ConditionKey")), "ConditionKey")
    want = literal(test.get("ConditionValue"), "ConditionValue")
    for v in (key, want):
        if isinstance(v, Unknown):
            return v
    if not isinstance(key, str) or not isinstance(want, str):
        return False
    negate = operator.lower() in ("stringnotequals", "stringnotlike")
    like = operator.lower() in ("stringlike", "stringnotlike")
    if key not in tags:
        return negate
    have = literal(tags[key], f"tag {key}")
    if isinstance(have, Unknown):
        return have
    if not isinstance(have, str):
        have = describe(have) if not isinstance(have, (int, float)) else str(have)
    match = fnmatch.fnmatchcase(have, want) if like else have == want
    return match != negate


def _arn_covers(entry: Any, res: Any, owner: str) -> Any:
    """Whether one ``Resources``/``NotResources`` entry (resolved, held by stack ``owner``)
    covers ``res``."""
    if isinstance(entry, Unknown):
        return entry
    refs = refs_in(entry)
    if refs:
        if any((r.stack or owner, r.logical_id) == (res.stack, res.logical_id) for r in refs):
            return True
        if not isinstance(entry, str):
            return False
    if not isinstance(entry, str):
        return False
    if entry.strip() == "*":
        return True
    parts = entry.split(":", 5)
    if len(parts) < 6 or refs:
        return False
    service, prefix, name_prop, _ = STATEFUL[res.type]
    if not fnmatch.fnmatchcase(service, parts[2]):
        return False
    pattern = parts[5]
    if pattern.endswith("*") and fnmatch.fnmatchcase(prefix, pattern):
        return True     # "*", "volume/*", "table/*": every name
    name = res.properties.get(name_prop) if name_prop else None
    if name is None or isinstance(name, Unknown) or is_opaque(name) or not isinstance(name, str):
        if "*" in pattern or "?" in pattern:
            return Unknown(f"ARN pattern {entry!r}: the resource's name is not known before "
                           f"deployment")
        return False
    return fnmatch.fnmatchcase(prefix + name, pattern)


def selects(spec: Any, res: Any, owner: str) -> Any:
    """Whether a resolved ``BackupSelection`` property (of stack ``owner``) selects ``res``:
    True, False or :class:`Unknown`."""
    if isinstance(spec, Unknown):
        return spec
    if not isinstance(spec, dict):
        return False
    not_resources = spec.get("NotResources")
    if not_resources is not None:
        excluded = _any(_arn_covers(e, res, owner) for e in _as_list(not_resources))
        if excluded is True:
            return False
        if isinstance(excluded, Unknown):
            return excluded
    resources = spec.get("Resources")
    list_of_tags = spec.get("ListOfTags")
    conditions = spec.get("Conditions")
    tags: Any = None

    def get_tags() -> Any:
        nonlocal tags
        if tags is None:
            tags = _tags(res)
        return tags

    candidates: list[Any] = []
    if resources is not None:
        candidates.append(_any(_arn_covers(e, res, owner) for e in _as_list(resources)))
    if list_of_tags is not None:
        t = get_tags()
        if isinstance(t, Unknown):
            candidates.append(t)
        elif isinstance(list_of_tags, Unknown):
            candidates.append(list_of_tags)
        else:
            candidates.append(_any(_tag_test(t, test, "StringEquals")
                                   for test in _as_list(list_of_tags)))
    if resources is None and list_of_tags is None:
        if conditions is None:
            return False
        base: Any = True
    else:
        base = _any(candidates)
    if base is False or conditions is None:
        return base
    if isinstance(conditions, Unknown):
        return _all([base, conditions])
    if not isinstance(conditions, dict):
        return False
    t = get_tags()
    if isinstance(t, Unknown):
        return _all([base, t])
    tests = []
    for operator, entries in conditions.items():
        if isinstance(entries, Unknown):
            tests.append(entries)
            continue
        tests.extend(_tag_test(t, test, str(operator)) for test in _as_list(entries))
    return _all([base] + tests)


def _not_applicable(res: Any) -> str | None:
    props = res.properties
    member = cluster_member(res)
    if member:
        return f"{member}: AWS Backup protects the cluster"
    if res.type == "AWS::FSx::FileSystem":
        fs_type = literal(props.get("FileSystemType"))
        config = props.get("LustreConfiguration")
        deployment = config.get("DeploymentType", "SCRATCH_1") if isinstance(config, dict) \
            else ("SCRATCH_1" if config is None else None)
        if isinstance(fs_type, str) and fs_type.upper() == "LUSTRE" and \
                isinstance(deployment, str) and deployment.upper().startswith("SCRATCH"):
            return (f"Lustre {deployment} file system: AWS Backup cannot back up scratch file "
                    f"systems (temporary storage; GOV-FSX-001 reports their encryption)")
    return None


def _native_backup_note(res: Any) -> str:
    props = res.properties
    if res.type == "AWS::FSx::FileSystem":
        for key in ("LustreConfiguration", "WindowsConfiguration", "OntapConfiguration",
                    "OpenZFSConfiguration"):
            config = props.get(key)
            if isinstance(config, dict) and config.get("AutomaticBackupRetentionDays") \
                    is not None:
                return (f" (FSx automatic backups, {key}.AutomaticBackupRetentionDays "
                        f"{describe(config.get('AutomaticBackupRetentionDays'))}, are not an "
                        f"AWS Backup plan: they are deleted with the file system and not "
                        f"governed by a backup vault)")
    return ""


def _name(ctx: Any, res: Any) -> str:
    return res.logical_id if res.stack == ctx.stack else f"{res.logical_id} (stack {res.stack})"


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    selections = ctx.run_resources(SELECTION)
    out: dict[str, list[CheckResult]] = {}
    for res in ctx.resources(*STATEFUL):
        na = _not_applicable(res)
        if na is not None:
            out[res.logical_id] = [CheckResult.not_applicable(na)]
            continue
        unsure: list[str] = []
        chosen: str | None = None
        for sel in selections:
            if sel.resolver.region != res.resolver.region:
                continue
            verdict = selects(sel.properties.get("BackupSelection"), res, sel.stack)
            if verdict is True and sel.condition is not None:
                chosen = _name(ctx, sel)
                break
            if verdict is True:
                unsure.append(f"{_name(ctx, sel)} exists only if Condition "
                              f"{sel.raw.get('Condition')} holds, which cannot be evaluated")
            elif isinstance(verdict, Unknown):
                unsure.append(f"{_name(ctx, sel)}: {verdict.reason}")
        if chosen is not None:
            out[res.logical_id] = [CheckResult.passed(f"selected by backup selection {chosen}")]
        elif unsure:
            out[res.logical_id] = [CheckResult.unknown(
                "whether a backup selection selects it cannot be told: " + "; ".join(unsure))]
        else:
            out[res.logical_id] = [CheckResult.failed(
                f"no {SELECTION} of the checked templates selects {res.type} "
                f"{res.logical_id} (by ARN, by tag or by '*'){_native_backup_note(res)}")]
    return out


RULE = Rule(
    id="GOV-BACKUP-001",
    backlog=("BKP-1",),
    name="resources_in_backup_plan",
    title="Stateful resources (EBS, EFS, FSx, RDS, DynamoDB) are selected by an AWS Backup plan",
    scope="template",
    resource_types=tuple(STATEFUL),
    controls=("CP-9", "CP-10", "SI-12"),
    severity=Severity.HIGH,
    rationale=(
        "CP-9 requires backups of system-level and user-level information and CP-10 recovery "
        "from them; SI-12 requires retaining information as required. An AWS Backup plan "
        "gives every stateful resource scheduled recovery points kept in a vault with its own "
        "key and lock, independent of the resource: service-native backups are deleted with "
        "their resource and cannot be locked or audited in one place."),
    remediation=(
        "CDK: plan = backup.BackupPlan.daily35_day_retention(self, 'Plan'); "
        "plan.add_selection('Selection', resources=[backup.BackupResource.from_construct("
        "self)]) (or BackupResource.from_tag('backup', 'daily') with the tag on each resource). "
        "CloudFormation: AWS::Backup::BackupSelection with BackupPlanId Ref <Plan> and "
        "BackupSelection.Resources listing each resource ARN (Fn::GetAtt / Fn::Sub) or "
        "ListOfTags / Conditions matching their Tags."),
    check=check,
    references=(
        "AWS Backup Developer Guide: Assigning resources to a backup plan; Feature "
        "availability by resource (FSx for Lustre scratch file systems are not supported)",
        "AWS Backup API Reference: BackupSelection (Resources, NotResources, ListOfTags, "
        "Conditions)",
        "AWS CloudFormation User Guide: AWS::Backup::BackupSelection",
        "NIST SP 800-53 Rev 5: CP-9 System Backup; CP-10 System Recovery and Reconstitution; "
        "SI-12 Information Management and Retention",
    ),
    equivalents={"guard": ("EBS_IN_BACKUP_PLAN", "EFS_IN_BACKUP_PLAN", "RDS_IN_BACKUP_PLAN",
                           "FSX_RESOURCES_PROTECTED_BY_BACKUP_PLAN"),
                 "cdk-nag": ("NIST.800.53.R5-EC2EBSInBackupPlan",
                             "NIST.800.53.R5-EFSInBackupPlan", "NIST.800.53.R5-RDSInBackupPlan",
                             "NIST.800.53.R5-DynamoDBInBackupPlan")},
)
