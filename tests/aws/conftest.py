"""Fixtures of the moto tests: one moto account for the whole package (``tests/aws``), entered
once and left after the package's last test, with each example agency deployed once into it
(reference: us-gov-west-1, its audit replica in us-gov-east-1; east: us-gov-east-1). Tests
that change the deployment restore it (see ``test_verify.py``). The harness itself is
:mod:`aws.harness`."""

from __future__ import annotations

import pytest
from moto import mock_aws

from .harness import (bucket_policy_standin, cloudtrail_trail_standin, deploy_agency,
                      restrict_default_sg_standin)


@pytest.fixture(scope="package")
def monkeypatch_package():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(scope="package")
def moto_account(monkeypatch_package):
    """moto serving every AWS API in-process for the package's tests (fake credentials, no
    profile), with the harness stand-ins installed. Yields nothing; its account is moto's
    default, 123456789012."""
    monkeypatch_package.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch_package.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch_package.delenv("AWS_PROFILE", raising=False)
    restrict_default_sg_standin(monkeypatch_package)
    cloudtrail_trail_standin(monkeypatch_package)
    bucket_policy_standin(monkeypatch_package)
    with mock_aws():
        yield


@pytest.fixture(scope="package")
def deployed(moto_account, reference_templates, reference_assembly, reference_config):
    """The reference agency deployed: ``(clients by service, stack name -> resource summaries)``."""
    return deploy_agency(reference_config, reference_templates, reference_assembly)


@pytest.fixture(scope="package")
def deployed_east(moto_account, east_templates, east_assembly, east_config):
    """The east agency deployed: ``(clients by service, stack name -> resource summaries)``."""
    return deploy_agency(east_config, east_templates, east_assembly)
