"""GOV-RDS-003: RDS and DocumentDB databases listen on a port other than their engine's default.

Source: cdk-nag AwsSolutions-RDS11 and AwsSolutions-DOC2 (non-default endpoint port), and the
false negative behind cdklabs/cdk-nag#393 (a ``Port`` set from a parameter whose ``Default`` is
the engine's default port was passed unchecked; govcdk's resolver evaluates the parameter).
Defaults: Amazon RDS User Guide, "Connecting to a DB instance" (MySQL and MariaDB 3306,
PostgreSQL 5432, Oracle 1521, SQL Server 1433, Db2 50000; Aurora MySQL 3306, Aurora PostgreSQL
5432); Amazon DocumentDB Developer Guide, "Connecting" (27017). CloudFormation:
``AWS::RDS::DBInstance`` / ``AWS::RDS::DBCluster`` / ``AWS::DocDB::DBCluster`` ``Port`` (unset
means the engine's default port).

Checked: the resolved ``Port`` differs from the engine's default port. A DB instance that
belongs to a DB cluster (``DBClusterIdentifier``, or an ``aurora*`` engine) is NOT_APPLICABLE:
its cluster's port applies. An RDS engine this rule does not know is NOT_APPLICABLE (the
message names it). A non-default port is configuration hardening (CM-6, CM-7): it turns away
scans for the well-known port; it is no substitute for security groups (SC-7).
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_int, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown
from .database_backup_protection import cluster_member

DOCDB_DEFAULT_PORT = 27017
ENGINE_DEFAULT_PORTS = (
    ("aurora-postgresql", 5432), ("aurora-mysql", 3306), ("aurora", 3306),
    ("mysql", 3306), ("mariadb", 3306), ("postgres", 5432),
    ("oracle", 1521), ("custom-oracle", 1521), ("sqlserver", 1433), ("custom-sqlserver", 1433),
    ("db2", 50000),
)
"""Engine name prefixes (``Engine``, lower case) and their default ports, most specific first."""


def default_port(resource: Any) -> int | Unknown | str:
    """The default port for ``resource``'s engine; an :class:`Unknown` when ``Engine`` cannot
    be resolved; the engine's name (a ``str``) when the engine is not one this rule knows."""
    if resource.type == "AWS::DocDB::DBCluster":
        return DOCDB_DEFAULT_PORT
    engine = literal(resource.properties.get("Engine"), "Engine")
    if isinstance(engine, Unknown):
        return engine
    if not isinstance(engine, str):
        return f"Engine {describe(engine)}"
    name = engine.strip().lower()
    for prefix, port in ENGINE_DEFAULT_PORTS:
        if name.startswith(prefix):
            return port
    return f"Engine {engine!r}"


def check(resource: Any, ctx: Any) -> CheckResult:
    member = cluster_member(resource)
    if member:
        return CheckResult.not_applicable(f"{member}: the cluster's port applies")
    default = default_port(resource)
    path = ("Properties", "Port")
    if isinstance(default, Unknown):
        return CheckResult.unknown(f"Engine cannot be resolved: {default.reason}",
                                   ("Properties", "Engine"))
    if isinstance(default, str):
        return CheckResult.not_applicable(f"{default}: no known default port")
    raw = resource.properties.get("Port")
    if raw is None:
        return CheckResult.failed(f"Port not set: the database listens on its engine's default "
                                  f"port {default}", path)
    port = as_int(raw)
    if isinstance(port, Unknown):
        return CheckResult.unknown(f"Port cannot be resolved: {port.reason}", path)
    if port is None:
        return CheckResult.failed(f"Port {describe(raw)} is not a port number", path)
    if port == default:
        return CheckResult.failed(f"Port {port} is the engine's default port", path)
    return CheckResult.passed(f"Port {port} (engine default {default})", path)


RULE = Rule(
    id="GOV-RDS-003",
    name="database_non_default_port",
    title="RDS and DocumentDB databases listen on a port other than their engine's default",
    scope="resource",
    resource_types=("AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::DocDB::DBCluster"),
    controls=("CM-7", "CM-6"),
    severity=Severity.LOW,
    rationale=(
        "CM-6 asks for the most restrictive configuration settings consistent with operations "
        "and CM-7 for least functionality: a database on its engine's well-known port answers "
        "every scan and automated attack aimed at that port. A non-default port is hardening, "
        "not access control; security groups (SC-7) still decide who can connect."),
    remediation=(
        "CDK: rds.DatabaseInstance(..., port=...), rds.DatabaseCluster(..., port=...), "
        "docdb.DatabaseCluster(..., port=...). CloudFormation: Port set to a value other than "
        "the engine's default (27017 DocumentDB, 3306 MySQL/MariaDB/Aurora MySQL, 5432 "
        "PostgreSQL/Aurora PostgreSQL, 1521 Oracle, 1433 SQL Server, 50000 Db2)."),
    check=check,
    references=(
        "cdklabs/cdk-nag issue 393 (Port from a parameter default passed unchecked)",
        "Amazon RDS User Guide: Connecting to a DB instance running the MySQL, PostgreSQL, "
        "Oracle, SQL Server or Db2 database engine (default ports)",
        "Amazon DocumentDB Developer Guide: Connecting to an Amazon DocumentDB cluster (port "
        "27017)",
        "AWS CloudFormation User Guide: AWS::RDS::DBInstance, AWS::RDS::DBCluster, "
        "AWS::DocDB::DBCluster Port",
        "NIST SP 800-53 Rev 5: CM-6 Configuration Settings; CM-7 Least Functionality",
    ),
    equivalents={"cdk-nag": ("AwsSolutions-RDS11", "AwsSolutions-DOC2")},
)
