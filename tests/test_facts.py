"""govcdk.facts and ``govcdk facts``: the table built from DescribeInstanceTypes (moto stands in
for EC2; no real AWS is ever called) reproduces the bundled facts; the CLI refuses what it
should with exit code 2 and one message, never a traceback.

moto 5.2.5's DescribeInstanceTypes does not honour the region (moto/ec2/models/instance_types.py:
``InstanceTypeBackend.instance_types`` is one class-level list built from
``ec2/resources/instance_types.json``, served unchanged in every region, in one page with no
NextToken). So under moto every type is "offered" in every region asked; the tests assert that,
and take the per-region truth from cfn-lint (what the bundled table's ``offered_in`` records).
"""

from __future__ import annotations

import json
import re
import socket

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from govcdk import facts, govcloud, instances
from govcdk.cli import main
from govcdk.facts import reduce_instance_type

REGIONS = ("us-gov-west-1", "us-gov-east-1")
FACT_KEYS = ("accelerator", "vcpus", "memory_mib", "efa_supported", "maximum_efa_interfaces",
             "maximum_network_cards", "network_card_efa", "placement_strategies")
BUNDLED = instances._table()


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials for moto."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-gov-west-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto_clients(aws_env):
    with mock_aws():
        yield {r: boto3.client("ec2", region_name=r) for r in REGIONS}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


# --- govcdk.facts -------------------------------------------------------------------------


def test_bundled_table_shape():
    assert {"source", "generated", "types"} <= set(BUNDLED)
    assert len(BUNDLED["generated"]) == 10 and BUNDLED["generated"][4] == "-"
    for name, row in BUNDLED["types"].items():
        assert set(row) == set(FACT_KEYS) | {"offered_in"}, name
        # the offline table's offered_in is cfn-lint's region data
        assert row["offered_in"] == sorted(r for r in REGIONS if name in govcloud.instance_types(r)), name


def test_refresh_over_moto_reproduces_the_bundled_facts(moto_clients):
    table = facts.refresh(moto_clients, source="moto", generated="2025-01-02")
    assert table["source"] == "moto" and table["generated"] == "2025-01-02"
    bundled = BUNDLED["types"]
    # moto's snapshot has every bundled type (the ones it lacks are in missing_from_source)
    assert set(bundled) <= set(table["types"])
    for name, row in bundled.items():
        for key in FACT_KEYS:
            assert table["types"][name][key] == row[key], (name, key)
    # moto serves one snapshot in every region: every type is "offered" in both
    assert all(r["offered_in"] == sorted(REGIONS) for r in table["types"].values())
    # the refresh keeps every accelerated type EC2 describes, not only GovCloud's
    assert "g5.xlarge" in table["types"] and "g5.xlarge" not in bundled


def test_describe_keeps_only_gpu_and_neuron_types(moto_clients):
    rows = facts.describe_accelerated_instance_types(moto_clients["us-gov-west-1"])
    names = {r["InstanceType"] for r in rows}
    assert {"p5.48xlarge", "inf1.xlarge", "trn1.32xlarge"} <= names
    assert "m5.large" not in names
    assert "dl2q.24xlarge" not in names  # InferenceAcceleratorInfo only: no GpuInfo, no NeuronInfo


def test_reduce_p5_48xlarge(moto_clients):
    (it,) = moto_clients["us-gov-west-1"].describe_instance_types(InstanceTypes=["p5.48xlarge"])["InstanceTypes"]
    row = reduce_instance_type(it)
    assert row["accelerator"] == {"kind": "gpu", "manufacturer": "NVIDIA", "name": "H100", "count": 8,
                                  "memory_mib": 81920}
    assert (row["vcpus"], row["memory_mib"]) == (192, 2097152)
    assert row["maximum_efa_interfaces"] == 32 and row["maximum_network_cards"] == 32
    assert row["network_card_efa"] == [True] * 32


def test_reduce_defaults_for_a_bare_entry():
    assert reduce_instance_type({"InstanceType": "x.large"}) == {
        "accelerator": None, "vcpus": None, "memory_mib": None, "efa_supported": False,
        "maximum_efa_interfaces": 0, "maximum_network_cards": 1, "network_card_efa": [],
        "placement_strategies": []}


def test_build_table_offered_in_and_conflicts():
    a = {"InstanceType": "p.x", "VCpuInfo": {"DefaultVCpus": 8}}
    table = facts.build_table({"us-gov-west-1": [a], "us-gov-east-1": [a]}, source="s", generated="2025-01-01")
    assert table["types"]["p.x"]["offered_in"] == ["us-gov-east-1", "us-gov-west-1"]
    b = {"InstanceType": "p.x", "VCpuInfo": {"DefaultVCpus": 16}}
    with pytest.raises(ValueError, match="p.x: us-gov-west-1 and us-gov-east-1 describe it differently"):
        facts.build_table({"us-gov-west-1": [a], "us-gov-east-1": [b]}, source="s", generated="2025-01-01")


def test_refresh_refuses_bad_arguments(moto_clients):
    with pytest.raises(ValueError, match="ISO date"):
        facts.refresh(moto_clients, source="s", generated="20250102")
    with pytest.raises(ValueError, match="at least one"):
        facts.refresh({}, source="s", generated="2025-01-02")


def test_write_table_format(tmp_path):
    path = tmp_path / "t.json"
    facts.write_table({"types": {}, "source": "s", "generated": "2025-01-01"}, path)
    assert path.read_text() == '{\n "generated": "2025-01-01",\n "source": "s",\n "types": {}\n}\n'


# --- govcdk facts refresh -----------------------------------------------------------------


def test_cli_refresh_writes_the_table(moto_clients, tmp_path):
    out = tmp_path / "facts.json"
    result = run("facts", "refresh", "--region", "us-gov-west-1", "--region", "us-gov-east-1",
                 "--output", str(out))
    assert result.exit_code == 0, result.output
    table = json.loads(out.read_text())
    assert {"source", "generated", "types"} == set(table)
    assert table["source"] == f"EC2 DescribeInstanceTypes in us-gov-west-1, us-gov-east-1 through boto3 {boto3.__version__}"
    assert table["types"]["p5.48xlarge"]["maximum_efa_interfaces"] == 32
    assert out.read_text().endswith("}\n")


def test_cli_refresh_refuses_an_existing_output_without_force(moto_clients, tmp_path):
    out = tmp_path / "facts.json"
    out.write_text("keep me")
    result = run("facts", "refresh", "--region", "us-gov-west-1", "--output", str(out))
    assert result.exit_code == 2
    assert f"govcdk: error: --output {out}: file exists; pass --force" in result.output
    assert out.read_text() == "keep me"
    result = run("facts", "refresh", "--region", "us-gov-west-1", "--output", str(out), "--force")
    assert result.exit_code == 0, result.output
    assert "p5.48xlarge" in json.loads(out.read_text())["types"]


def test_cli_refresh_refuses_a_missing_directory(moto_clients, tmp_path):
    out = tmp_path / "nope" / "facts.json"
    result = run("facts", "refresh", "--region", "us-gov-west-1", "--output", str(out))
    assert result.exit_code == 2
    assert "does not exist" in result.output and not out.parent.exists()


def test_cli_refresh_refuses_a_commercial_region(tmp_path):
    result = run("facts", "refresh", "--region", "us-east-1", "--output", str(tmp_path / "f.json"))
    assert result.exit_code == 2
    assert "us-east-1" in result.output and "us-gov-west-1" in result.output


def test_cli_refresh_without_credentials(monkeypatch, tmp_path):
    """No mock_aws here: botocore raises NoCredentialsError before any request. Sockets are
    refused so that a mistake cannot reach the network (instance metadata included)."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("BOTO_CONFIG", str(tmp_path / "no-boto-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    def no_network(*args, **kwargs):
        raise AssertionError("the test tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    out = tmp_path / "facts.json"
    result = run("facts", "refresh", "--region", "us-gov-east-1", "--output", str(out))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("govcdk: error: us-gov-east-1: no AWS credentials found")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("config, profile, expected", [
    ("", "nope", r"us-gov-west-1: the AWS configuration cannot be used \(The config profile \(nope\) could not be found\)"),
])
def test_cli_refresh_reports_a_broken_aws_configuration(monkeypatch, tmp_path, config, profile, expected):
    """A missing profile or an unparsable config file fails when the client is created: one
    exit-2 line naming the region, never a traceback (break-test finding)."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    cfg = tmp_path / "config"
    cfg.write_text(config)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if profile:
        monkeypatch.setenv("AWS_PROFILE", profile)
    result = run("facts", "refresh", "--region", "us-gov-west-1", "--output", str(tmp_path / "f.json"))
    assert result.exit_code == 2, result.output
    assert re.search("^govcdk: error: " + expected, result.output), result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_cli_refresh_reports_a_refused_call(aws_env, monkeypatch, tmp_path):
    from botocore.stub import Stubber

    real_client = boto3.client

    def stubbed(service, region_name, **kwargs):
        client = real_client(service, region_name=region_name, **kwargs)
        stubber = Stubber(client)
        stubber.add_client_error("describe_instance_types", service_error_code="AuthFailure",
                                 service_message="AWS was not able to validate the provided access credentials")
        stubber.activate()
        return client

    monkeypatch.setattr(boto3, "client", stubbed)
    result = run("facts", "refresh", "--region", "us-gov-west-1", "--output", str(tmp_path / "f.json"))
    assert result.exit_code == 2
    assert result.output.startswith("govcdk: error: us-gov-west-1: EC2 DescribeInstanceTypes was refused "
                                    "(AuthFailure: AWS was not able")
    assert "Traceback" not in result.output


@pytest.fixture
def stub_endpoint(monkeypatch, tmp_path):
    """A local HTTP server standing in for the EC2 endpoint (AWS_ENDPOINT_URL_EC2, which
    botocore honours), with fake credentials and no profile or instance metadata. Yields a
    function that sets its behaviour: ``"garbage"`` answers 200 with a body that is not XML,
    ``"hang"`` accepts and answers nothing until the test ends."""
    import http.server
    import threading

    behaviour = {"mode": "garbage"}
    release = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if behaviour["mode"] == "hang":
                release.wait(30)
                return
            body = b"\x00\xff garbage from a captive proxy"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args):  # keep the test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_ENDPOINT_URL_EC2": url, "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
                       "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
                       "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(key, value)

    def set_mode(mode):
        behaviour["mode"] = mode
        return url

    yield set_mode
    release.set()
    server.shutdown()
    server.server_close()


def test_cli_refresh_reports_an_answer_that_is_not_xml(stub_endpoint, tmp_path):
    """A proxy that answers 200 with garbage: one exit-2 line naming the endpoint, no traceback
    (botocore's ResponseParserError is neither a BotoCoreError nor a ClientError)."""
    url = stub_endpoint("garbage")
    out = tmp_path / "f.json"
    result = run("facts", "refresh", "--region", "us-gov-west-1", "--output", str(out))
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"govcdk: error: us-gov-west-1: the EC2 endpoint {url} answered with "
                                    "something that is not an EC2 API response (Unable to parse response"), result.output
    assert "a proxy or a wrong endpoint URL may be in the way" in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not out.exists()


def test_cli_refresh_gives_up_on_an_endpoint_that_never_answers(stub_endpoint, tmp_path):
    """The endpoint accepts and never answers. With --timeout 1 the read times out (twice:
    MAX_ATTEMPTS) and the message blames the endpoint, naming its URL, not the AWS
    configuration. (Without the timeout botocore would wait 60 s per attempt; the stub
    releases its handlers only at teardown, so the message proves the timeout applied.)"""
    url = stub_endpoint("hang")
    out = tmp_path / "f.json"
    result = run("facts", "refresh", "--region", "us-gov-east-1", "--output", str(out), "--timeout", "1")
    assert result.exit_code == 2, result.output
    assert result.output == (f"govcdk: error: us-gov-east-1: the EC2 endpoint {url}/ did not answer within 1 s "
                             "(2 attempts); check the network, proxy or VPC endpoint (and AWS_ENDPOINT_URL / "
                             "AWS_ENDPOINT_URL_EC2 if set) and run again\n")
    assert "AWS configuration" not in result.output and not out.exists()


def test_refresh_client_config_has_short_timeouts_and_one_retry():
    from govcdk.cli_facts import client_config

    cfg = client_config()
    assert (cfg.connect_timeout, cfg.read_timeout) == (10.0, 15.0)
    assert cfg.retries == {"mode": "standard", "total_max_attempts": 2}
    assert (client_config(1).connect_timeout, client_config(1).read_timeout) == (1, 1)


# --- govcdk facts show / list --------------------------------------------------------------


def test_cli_show_text():
    result = run("facts", "show", "p5.48xlarge")
    assert result.exit_code == 0, result.output
    assert "8 x NVIDIA H100" in result.output
    assert "at most 32 EFA interface(s), 32 network card(s)" in result.output
    assert "offered in:   us-gov-west-1 (" in result.output  # cfn-lint: not offered in us-gov-east-1
    assert "EFA layout:" in result.output


def test_cli_show_json():
    result = run("facts", "show", "p5.48xlarge", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["instance_type"] == "p5.48xlarge"
    assert doc["accelerator"]["name"] == "H100" and doc["maximum_efa_interfaces"] == 32
    assert doc["offered_in"] == ["us-gov-west-1"]
    layout = instances.efa_layout("p5.48xlarge")
    assert len(doc["efa_layout"]) == len(layout)
    assert sum(i["interface_type"] in ("efa", "efa-only") for i in doc["efa_layout"]) == 32


def test_cli_show_unknown_type():
    result = run("facts", "show", "nope.large")
    assert result.exit_code == 2
    assert result.output.startswith("govcdk: error: no instance facts for 'nope.large'")


def test_cli_show_is_case_insensitive():
    """EC2 instance type names are lower case; P5.48XLARGE means p5.48xlarge (D11)."""
    upper = run("facts", "show", "P5.48XLARGE")
    assert upper.exit_code == 0, upper.output
    assert upper.output == run("facts", "show", "p5.48xlarge").output
    assert upper.output.splitlines()[0] == "p5.48xlarge"


def test_cli_show_non_efa_type():
    result = run("facts", "show", "g4dn.2xlarge")
    assert result.exit_code == 0, result.output
    assert "EFA:          not supported" in result.output
    assert "us-gov-west-1, us-gov-east-1" in result.output
    assert json.loads(run("facts", "show", "g4dn.2xlarge", "--format", "json").output)["efa_layout"] is None


def test_cli_list():
    lines = run("facts", "list").output.splitlines()
    assert len(lines) == len(BUNDLED["types"])
    east = run("facts", "list", "--region", "us-gov-east-1").output
    names = [line.split()[0] for line in east.splitlines()]
    assert "p6-b200.48xlarge" in names and "p5.48xlarge" not in names
    assert names == [n for n in sorted(BUNDLED["types"]) if n in govcloud.instance_types("us-gov-east-1")]
    (p6,) = [line for line in east.splitlines() if line.startswith("p6-b200.48xlarge ")]
    assert p6.split() == ["p6-b200.48xlarge", "8", "x", "B200", "max", "EFA", "interfaces", "8",
                          "network", "cards", "8"]


def test_help_does_not_import_boto3():
    import subprocess
    import sys

    code = ("import sys; from govcdk import cli; "
            "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'boto3 imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
