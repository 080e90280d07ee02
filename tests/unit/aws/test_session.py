"""Where make_clients points: options over environment over config files, and a
one-line AwsConnectionError for every setup that cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from netmend.aws.session import AwsOptions, make_clients, valid_region_name
from netmend.errors import AwsConnectionError


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An AWS config file with profile "dev" (its own region and keys)."""
    path = tmp_path / "config"
    path.write_text(
        "[profile dev]\n"
        "region = ap-south-1\n"
        "aws_access_key_id = AKIDDEV\n"
        "aws_secret_access_key = devsecret\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return path


def test_explicit_region_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """--region beats AWS_REGION, which beats AWS_DEFAULT_REGION."""
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert make_clients(AwsOptions(region="ap-northeast-1")).region == "ap-northeast-1"
    assert make_clients(AwsOptions()).region == "eu-central-1"
    monkeypatch.delenv("AWS_REGION")
    clients = make_clients(AwsOptions())
    assert clients.region == "us-west-2"
    assert clients.ec2.meta.region_name == "us-west-2"


def test_profile_supplies_region_and_credentials(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile from --profile (or AWS_PROFILE) gives its region and keys when the
    environment names no region."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ):
        monkeypatch.delenv(name)
    clients = make_clients(AwsOptions(profile="dev"))
    assert clients.region == "ap-south-1"
    credentials = clients.session.get_credentials()
    assert credentials is not None
    assert credentials.access_key == "AKIDDEV"
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert make_clients(AwsOptions()).region == "ap-south-1"


def test_unknown_profile(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown profile, given or from AWS_PROFILE, is named in a one-line error."""
    with pytest.raises(AwsConnectionError, match=r"^unknown AWS profile 'nope': check --profile"):
        make_clients(AwsOptions(profile="nope"))
    monkeypatch.setenv("AWS_PROFILE", "gone")
    with pytest.raises(AwsConnectionError, match="unknown AWS profile 'gone'") as caught:
        make_clients(AwsOptions())
    assert caught.value.exit_code == 2


def test_missing_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """No region anywhere: the error says how to give one."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsConnectionError) as caught:
        make_clients(AwsOptions())
    assert str(caught.value).startswith("no AWS region: pass --region or set AWS_REGION")


def test_missing_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials anywhere: AwsConnectionError before any call."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ):
        monkeypatch.delenv(name)
    with pytest.raises(AwsConnectionError, match=r"^no AWS credentials: pass --profile"):
        make_clients(AwsOptions(region="eu-west-1"))


@pytest.mark.parametrize(
    "name",
    [
        "eu-west-1",
        "us-east-1",
        "ap-southeast-5",
        "il-central-1",
        "cn-north-1",
        "us-gov-west-1",
        "us-iso-east-1",
        "us-isob-east-1",
        "eu-isoe-west-1",
        "us-isof-south-1",
    ],
)
def test_region_names_of_every_partition_are_valid(name: str) -> None:
    """Commercial, China, GovCloud and ISO partition names pass validation."""
    assert valid_region_name(name)


@pytest.mark.parametrize(
    "name", ["", "eu-west", "EU-WEST-1", "euwest1", "eu-west-1a", " eu-west-1", "eu_west_1"]
)
def test_malformed_region_names(name: str) -> None:
    """Anything not shaped like a region name is refused."""
    assert not valid_region_name(name)


def test_endpoint_option_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """--endpoint-url beats AWS_ENDPOINT_URL; without it botocore's AWS_ENDPOINT_URL is
    used; without either, AWS's regional endpoint."""
    assert make_clients(AwsOptions()).endpoint_url == "https://ec2.eu-west-1.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert make_clients(AwsOptions()).endpoint_url == "http://127.0.0.1:4566"
    given = make_clients(AwsOptions(endpoint_url="http://127.0.0.1:5000"))
    assert given.endpoint_url == "http://127.0.0.1:5000"
    assert given.service_quotas.meta.endpoint_url == "http://127.0.0.1:5000"


@pytest.mark.parametrize("url", ["127.0.0.1:5000", "ftp://127.0.0.1", "http://"])
def test_malformed_endpoint(url: str) -> None:
    """An endpoint that is not http(s)://host is refused with a hint."""
    with pytest.raises(AwsConnectionError, match=r"^malformed endpoint URL .*--endpoint-url"):
        make_clients(AwsOptions(region="eu-west-1", endpoint_url=url))


def test_service_quotas_client_is_made_on_first_use() -> None:
    """Only EC2's client is built up front; Service Quotas' waits until asked for."""
    clients = make_clients(AwsOptions(region="eu-west-1"))
    assert "service_quotas" not in vars(clients)
    assert clients.service_quotas.meta.region_name == "eu-west-1"
    assert "service_quotas" in vars(clients)
