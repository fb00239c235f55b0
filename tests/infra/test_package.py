"""``costwarden package``: each cloud's artifact holds its handlers, costwarden, only that
cloud's dependencies (pinned by uv.lock), and the validated policy.

The AWS build resolves real Linux wheels through the pip index configured on this machine
(about 50 s: it downloads ~90 MB once per run), so it is built once for the module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from costwarden.cli_package import (
    LAMBDA_DIRECT_UPLOAD_LIMIT,
    LAMBDA_UNZIPPED_LIMIT,
    ZIP_NAME,
    package,
)
from costwarden.errors import ConfigError
from costwarden.settings import load_settings

COSTWARDEN = Path(sys.executable).parent / "costwarden"
# ELF header: e_machine of x86-64 and AArch64.
ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}


def locked(repo: Path) -> dict[str, str]:
    lock = tomllib.loads((repo / "uv.lock").read_text("utf-8"))
    return {p["name"]: p["version"] for p in lock["package"]}


def test_azure_app_folder_has_the_app_costwarden_and_only_azure_requirements(
    repo: Path, tmp_path: Path
) -> None:
    artifact = package("azure", output=tmp_path, policy=repo / "policy.example.yaml", source=repo)
    app = artifact.path
    for name in ("function_app.py", "host.json", "policy.yaml", "costwarden/__init__.py"):
        assert (app / name).is_file(), name
    # Package data travels with the code (the default policy, FOCUS mappings, price table).
    assert (app / "costwarden" / "policy" / "default.yaml").is_file()
    requirements = (app / "requirements.txt").read_text()
    assert "azure-functions" in requirements
    assert "boto3" not in requirements
    assert "google-cloud" not in requirements
    assert requirements.splitlines()[1] == "-c constraints.txt"
    pins = dict(line.split("==") for line in (app / "constraints.txt").read_text().split())
    assert pins["azure-functions"] == locked(repo)["azure-functions"]
    assert not list(app.rglob("__pycache__"))


def test_gcp_source_folder_has_main_costwarden_and_only_google_requirements(
    repo: Path, tmp_path: Path
) -> None:
    artifact = package("gcp", output=tmp_path, source=repo)
    source = artifact.path
    assert (source / "main.py").is_file()
    assert not (source / "policy.yaml").exists()  # none given: the embedded default policy
    requirements = (source / "requirements.txt").read_text()
    assert "functions-framework" in requirements
    assert "azure" not in requirements
    assert "boto3" not in requirements
    assert artifact.sizes["folder"] > 0


def test_an_invalid_policy_is_refused_before_anything_is_built(repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\nteams: {platform: {channel: 42}}\nnot_a_section: true\n")
    with pytest.raises(ConfigError, match="not a valid policy"):
        package("gcp", output=tmp_path / "out", policy=bad, source=repo)
    assert not (tmp_path / "out" / "source").exists()


def test_package_command_prints_the_artifact_and_its_size(repo: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COSTWARDEN_")}
    result = subprocess.run(
        [str(COSTWARDEN), "package", "--cloud", "gcp", "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"gcp: {tmp_path / 'source'}" in result.stdout
    assert "folder:" in result.stdout


@pytest.fixture(scope="module")
def lambda_build(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("aws")
    package("aws", output=output, arch="x86_64", policy=repo / "policy.example.yaml", source=repo)
    return output


def test_lambda_zip_holds_handlers_costwarden_and_the_policy_at_its_root(
    lambda_build: Path,
) -> None:
    with zipfile.ZipFile(lambda_build / ZIP_NAME) as archive:
        names = set(archive.namelist())
    for handler in ("budget_alert.py", "export_arrival.py", "cost_digest.py"):
        assert handler in names
    assert {"schedule_planner.py", "schedule_worker.py"} <= names
    assert "policy.yaml" in names
    assert "costwarden/policy/default.yaml" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_lambda_dependencies_are_linux_wheels_of_the_aws_extras_only(
    repo: Path, lambda_build: Path
) -> None:
    site = lambda_build / "lambda"
    native = sorted(site.rglob("*.so"))
    assert native, "pydantic-core and duckdb ship native code"
    for library in native[:20]:
        header = library.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", library
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE["x86_64"], library
    assert (site / "boto3").is_dir()
    assert (site / "aws_lambda_powertools").is_dir()
    assert not (site / "azure").exists()
    assert not (site / "google").exists()
    versions = dict(
        p.name.removesuffix(".dist-info").split("-", 1) for p in site.glob("*.dist-info")
    )
    assert versions["boto3"] == locked(repo)["boto3"]
    assert "cpython-312-x86_64" in next(iter((site / "pydantic_core").glob("*.so"))).name


def test_lambda_zip_is_within_lambdas_size_limits(lambda_build: Path) -> None:
    info = json.loads((lambda_build / "build-info.json").read_text())
    assert info["arch"] == "x86_64"
    assert info["python"] == "3.12"
    assert info["unzipped"] <= LAMBDA_UNZIPPED_LIMIT
    assert info["zipped"] == (lambda_build / ZIP_NAME).stat().st_size
    assert 0 < info["zipped"] < info["unzipped"]


def test_a_zip_over_50_mb_is_built_with_a_note_to_deploy_through_s3(lambda_build: Path) -> None:
    zipped = (lambda_build / ZIP_NAME).stat().st_size
    # The AWS extras with DuckDB and matplotlib zip to ~90 MB: sam deploy uploads through S3.
    assert zipped > LAMBDA_DIRECT_UPLOAD_LIMIT


@pytest.mark.parametrize("problem", ["output_is_a_file", "source_is_not_a_checkout"])
def test_a_bad_output_or_source_is_one_error_line_and_status_2(
    repo: Path, tmp_path: Path, problem: str
) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    args = ["--output", str(in_the_way / "dist")]
    if problem == "source_is_not_a_checkout":
        args = ["--output", str(tmp_path / "dist"), "--source", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COSTWARDEN_")}
    result = subprocess.run(
        [str(COSTWARDEN), "package", "--cloud", "gcp", *args],
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert not (tmp_path / "dist").exists()


def test_the_package_pip_variable_does_not_break_the_deployment_settings() -> None:
    # docs/deploy-aws.md tells a build host to export it; plan, apply and tags read settings.
    settings = load_settings({"COSTWARDEN_PACKAGE_PIP": "pip3", "COSTWARDEN_DRY_RUN": "true"})

    assert settings.dry_run
    with pytest.raises(ConfigError, match="COSTWARDEN_PACKAGE_PIPS: Extra inputs"):
        load_settings({"COSTWARDEN_PACKAGE_PIPS": "pip3"})  # a misspelling stays an error
