"""``costwarden package``: the deployable artifact of one cloud's functions.

    costwarden package --cloud aws [--arch x86_64|arm64] --output dist/aws [--policy FILE]
    costwarden package --cloud azure --output dist/azure [--policy FILE]
    costwarden package --cloud gcp --output dist/gcp [--policy FILE]

* **AWS**: one Lambda zip for every handler in ``functions/aws`` (``costwarden-lambda.zip``).
  Dependencies are resolved *for Lambda*, not for this machine: ``pip install --platform
  manylinux... --only-binary=:all: --python-version 3.12 --target``, so a macOS or Windows build
  host still ships Linux wheels. Only the ``aws`` and ``cost`` extras go in. Versions are
  pinned by ``uv.lock`` (as pip constraints), so the zip runs what the tests ran. Lambda's limits
  are checked: 250 MB unzipped is a hard failure; more than 50 MB zipped only means the zip must
  go through S3 (``sam deploy`` does).
* **Azure**: the function app folder (``function_app.py``, ``host.json``, ``requirements.txt``,
  the ``costwarden`` package): the platform's remote build installs the requirements on Linux.
* **Google**: the source folder (``main.py``, ``requirements.txt``, ``costwarden``), built by
  Cloud Build the same way.

The policy file, when given, is validated first and shipped as ``policy.yaml`` beside the
handlers; the templates point ``COSTWARDEN_POLICY_PATH`` at it. Sizes are printed for each.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import typer

from costwarden.errors import ConfigError, CostwardenError, PolicyError

Cloud = Literal["aws", "azure", "gcp"]
Arch = Literal["x86_64", "arm64"]

LAMBDA_PYTHON = "3.12"
# Lambda's limits: the unzipped code (with layers) and a zip uploaded directly (not via S3).
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
LAMBDA_DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): any wheel up to manylinux_2_34.
# pip takes the exact tags, so list each one it may meet.
_GLIBC = ("manylinux2014", "manylinux_2_28", "manylinux_2_34")
PLATFORMS: dict[Arch, tuple[str, ...]] = {
    "x86_64": tuple(f"{tag}_x86_64" for tag in _GLIBC),
    "arm64": tuple(f"{tag}_aarch64" for tag in _GLIBC),
}
EXTRAS: dict[Cloud, tuple[str, ...]] = {
    "aws": ("aws", "cost"),
    "azure": ("azure", "cost"),
    "gcp": ("gcp", "cost"),
}
#: What a deployed function needs from functions/<cloud>/, besides the handlers (*.py).
EXTRA_FILES: dict[Cloud, tuple[str, ...]] = {"aws": (), "azure": ("host.json",), "gcp": ()}
ZIP_NAME = "costwarden-lambda.zip"
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")


@dataclass
class Artifact:
    """What was built, for the summary and the tests."""

    cloud: Cloud
    path: Path
    sizes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def find_source(start: Path | None = None) -> Path:
    """The checkout: the folder holding costwarden's pyproject.toml and functions/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and (folder / "functions").is_dir():
            project = tomllib.loads(pyproject.read_text("utf-8")).get("project", {})
            if project.get("name") == "costwarden":
                return folder
    raise ConfigError(
        f"no costwarden checkout at or above {here}: run from the repository (--source DIR)"
    )


def requirements(source: Path, cloud: Cloud) -> list[str]:
    """The core's dependencies plus only this cloud's extras, as pyproject.toml states them."""
    project = tomllib.loads((source / "pyproject.toml").read_text("utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    found = list(project["dependencies"])
    for extra in EXTRAS[cloud]:
        found += [r for r in optional.get(extra, []) if not r.startswith("costwarden")]
    return found


def constraints(source: Path, cloud: Cloud) -> list[str]:
    """``name==version`` for every locked package the cloud's requirements can reach.

    Markers are ignored (a superset is harmless: constraints only pin what gets installed).
    """
    lock_path = source / "uv.lock"
    if not lock_path.is_file():
        return []
    packages = {p["name"]: p for p in tomllib.loads(lock_path.read_text("utf-8"))["package"]}
    wanted: list[tuple[str, tuple[str, ...]]] = [("costwarden", EXTRAS[cloud])]
    seen: set[tuple[str, str]] = set()
    pins: dict[str, str] = {}
    while wanted:
        name, extras = wanted.pop()
        package = packages.get(name)
        if package is None:
            continue
        deps = list(package.get("dependencies", []))
        for extra in extras:
            if (name, extra) not in seen:
                seen.add((name, extra))
                deps += package.get("optional-dependencies", {}).get(extra, [])
        if name != "costwarden":
            pins[name] = str(package["version"])
        for dep in deps:
            key = (dep["name"], "")
            dep_extras = tuple(dep.get("extra", ()))
            if key not in seen or any((dep["name"], e) not in seen for e in dep_extras):
                seen.add(key)
                wanted.append((dep["name"], dep_extras))
    return [f"{name}=={pins[name]}" for name in sorted(pins)]


def _copy_code(source: Path, cloud: Cloud, target: Path, policy: Path | None) -> None:
    for handler in sorted((source / "functions" / cloud).glob("*.py")):
        shutil.copy2(handler, target / handler.name)
    for name in EXTRA_FILES[cloud]:
        shutil.copy2(source / "functions" / cloud / name, target / name)
    shutil.copytree(source / "shared" / "costwarden", target / "costwarden", ignore=_SKIP)
    if policy is not None:
        shutil.copy2(policy, target / "policy.yaml")


def _validate_policy(policy: Path | None) -> None:
    if policy is None:
        return
    from costwarden.policy import load_policy

    try:
        load_policy(policy)
    except PolicyError as exc:
        raise ConfigError(f"{policy} is not a valid policy:\n" + "\n".join(exc.problems)) from None


def _write_requirements(folder: Path, source: Path, cloud: Cloud) -> None:
    pins = constraints(source, cloud)
    lines = ["# costwarden's dependencies for this cloud (pyproject.toml), pinned by uv.lock."]
    if pins:
        (folder / "constraints.txt").write_text("\n".join(pins) + "\n", "utf-8")
        lines.append("-c constraints.txt")
    (folder / "requirements.txt").write_text("\n".join(lines + requirements(source, cloud)) + "\n")


def _fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def tree_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def package_folder(
    cloud: Literal["azure", "gcp"], *, source: Path, output: Path, policy: Path | None
) -> Artifact:
    """The Azure function app folder or the Google source folder: code plus requirements."""
    _validate_policy(policy)
    folder = _fresh(output / ("app" if cloud == "azure" else "source"))
    _copy_code(source, cloud, folder, policy)
    _write_requirements(folder, source, cloud)
    artifact = Artifact(cloud, folder, {"folder": tree_size(folder)})
    if cloud == "azure":
        # The deployment tools skip these; nothing local belongs on the app.
        (folder / ".funcignore").write_text(".venv\n__pycache__\n*.pyc\n")
    return artifact


def pip_command() -> list[str]:
    """A pip to resolve with: this interpreter's, or one on PATH (uv venvs ship none).

    It only downloads and unpacks wheels for the target platform, so its own Python version
    and OS do not matter.
    """
    override = os.environ.get("COSTWARDEN_PACKAGE_PIP")
    if override:
        return override.split()
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    raise ConfigError("no pip found: install pip, or set COSTWARDEN_PACKAGE_PIP")


def package_lambda(*, source: Path, output: Path, arch: Arch, policy: Path | None) -> Artifact:
    """One zip with every AWS handler, costwarden, and Linux wheels of its dependencies."""
    _validate_policy(policy)
    staging = _fresh(output / "lambda")
    work = _fresh(output / ".build")
    _write_requirements(work, source, "aws")
    wheels = work / "wheels"
    # Two steps: "download" resolves for Lambda's Python and platform; "install" then only
    # unpacks those wheels (pip would otherwise check Requires-Python against *this* Python).
    target = ["--only-binary=:all:", "--implementation", "cp", "--python-version", LAMBDA_PYTHON]
    target += [arg for platform in PLATFORMS[arch] for arg in ("--platform", platform)]
    quiet = ["--quiet", "--disable-pip-version-check"]
    _pip(
        ["download", *quiet, *target, "--dest", str(wheels), "-r", str(work / "requirements.txt")],
        arch,
    )
    _pip(
        ["install", *quiet, *target, "--no-deps", "--no-index", "--ignore-requires-python"]
        + ["--no-compile", "--target", str(staging)]
        + [str(w) for w in sorted(wheels.glob("*.whl"))],
        arch,
    )
    _prune(staging)
    _copy_code(source, "aws", staging, policy)
    unzipped = tree_size(staging)
    if unzipped > LAMBDA_UNZIPPED_LIMIT:
        raise ConfigError(
            f"the Lambda code is {_mb(unzipped)} unzipped, over Lambda's 250 MB limit"
        )
    zip_path = output / ZIP_NAME
    _zip(staging, zip_path)
    shutil.rmtree(work)
    zipped = zip_path.stat().st_size
    artifact = Artifact("aws", zip_path, {"unzipped": unzipped, "zipped": zipped})
    if zipped > LAMBDA_DIRECT_UPLOAD_LIMIT:
        artifact.warnings.append(
            f"{_mb(zipped)} zipped is over the 50 MB of a direct upload: deploy through S3 "
            "(sam deploy uploads to its bucket)"
        )
    (output / "build-info.json").write_text(
        json.dumps({"cloud": "aws", "arch": arch, "python": LAMBDA_PYTHON, **artifact.sizes})
    )
    return artifact


def _pip(arguments: list[str], arch: str) -> None:
    result = subprocess.run(  # noqa: S603 - pip, with arguments built here
        [*pip_command(), *arguments], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        output = "\n".join(
            line
            for line in (result.stderr or result.stdout).splitlines()
            if not line.startswith("WARNING: Location")  # noise of this machine's pip config
        )
        raise ConfigError(f"pip {arguments[0]} failed for Lambda ({arch}):\n{output[-2000:]}")


def _prune(site: Path) -> None:
    """Drop what no deployed function imports: bytecode caches and packages' own test suites."""
    for path in sorted(site.rglob("__pycache__"), reverse=True):
        shutil.rmtree(path, ignore_errors=True)
    for path in sorted(site.glob("*/tests"), reverse=True):
        if path.is_dir() and (path.parent / "__init__.py").exists():
            shutil.rmtree(path)
    for path in sorted(site.glob("*/*/tests"), reverse=True):
        if path.is_dir() and (path.parent / "__init__.py").exists():
            shutil.rmtree(path)


def _zip(folder: Path, target: Path) -> None:
    """A reproducible zip: sorted entries, fixed timestamps, readable by everyone."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            with path.open("rb") as handle:
                # Fast deflate: the zip goes to S3 once; level 6 halves nothing here but the speed.
                archive.writestr(info, handle.read(), zipfile.ZIP_DEFLATED, compresslevel=1)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def package(
    cloud: Cloud,
    *,
    output: Path,
    arch: Arch = "x86_64",
    policy: Path | None = None,
    source: Path | None = None,
) -> Artifact:
    root = _checkout(source) if source is not None else find_source()
    try:
        output.mkdir(parents=True, exist_ok=True)
        if cloud == "aws":
            return package_lambda(source=root, output=output, arch=arch, policy=policy)
        return package_folder(cloud, source=root, output=output, policy=policy)
    except OSError as exc:
        # An unwritable --output (a file in the way, no permission, disk full) is the user's
        # to fix: one error line, not a traceback.
        where = f" ({exc.filename})" if exc.filename else ""
        raise ConfigError(f"cannot write the artifact to {output}: {exc.strerror}{where}") from None


def _checkout(source: Path) -> Path:
    """``--source``, refused unless it is a costwarden checkout (before anything is written)."""
    root = source.resolve()
    needed = [root / "pyproject.toml", root / "functions", root / "shared" / "costwarden"]
    if not all(path.exists() for path in needed):
        raise ConfigError(
            f"--source {source} is not a costwarden checkout (it needs pyproject.toml, "
            "functions/ and shared/costwarden/)"
        )
    return root


def package_command(
    cloud: Annotated[Cloud, typer.Option(help="which cloud's functions to package")],
    output: Annotated[Path, typer.Option(help="folder to write the artifact to")],
    arch: Annotated[Arch, typer.Option(help="Lambda architecture (AWS only)")] = "x86_64",
    policy: Annotated[
        Path | None, typer.Option(help="policy file to ship as policy.yaml (validated first)")
    ] = None,
    source: Annotated[
        Path | None, typer.Option(help="the costwarden checkout (default: found from here)")
    ] = None,
) -> None:
    """Build the deployable artifact of one cloud's functions and print its sizes."""
    try:
        artifact = package(cloud, output=output, arch=arch, policy=policy, source=source)
    except CostwardenError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{cloud}: {artifact.path}")
    for name, size in artifact.sizes.items():
        typer.echo(f"  {name}: {_mb(size)}")
    for warning in artifact.warnings:
        typer.echo(f"  note: {warning}")
