"""Find the cloud SDK calls a module makes, by reading its source (no import, no network).

The permission test compares what this finds with ``costwarden.permissions``: every SDK call
the code can make must be declared, and every declaration must still match a call.

What counts as an SDK call: a method called on an *SDK-typed* expression. An expression is
SDK-typed when it is

- a call of an SDK constructor or factory (``boto3.client(...)``, ``session.client(...)``,
  ``compute_v1.InstancesClient(...)``, ``QueueClient.from_connection_string(...)``);
- a name or ``self._attr`` assigned from an SDK-typed expression anywhere in the module, or a
  parameter annotated with an SDK class (``client: DynamoDBClient``, ``bucket: Bucket``);
- an attribute of, or a call on, an SDK-typed expression (``self._client.virtual_machines``,
  ``container.get_blob_client(key)``).

The propagation is flow-insensitive (a name typed anywhere in a module is typed everywhere in
it): it can over-report, which fails loudly and gets fixed, but not under-report a call made
through any of these shapes. AWS calls are further narrowed to botocore operation names (plus
boto3's managed transfers); ``get_paginator("op")`` counts as a call of ``op``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

#: SDK classes and factories whose instances make requests (the name as written in code).
SDK_CONSTRUCTORS = frozenset(
    {
        # AWS
        "client",  # boto3.client(...), session.client(...)
        # Azure
        "TableServiceClient",
        "TableClient",
        "BlobServiceClient",
        "ContainerClient",
        "BlobClient",
        "QueueClient",
        "ComputeManagementClient",
        "MetricsClient",
        "ResourceManagementClient",
        # Google
        "Client",  # storage.Client()
        "InstancesClient",
        "DisksClient",
        "RegionDisksClient",
        "ProjectsClient",
        "ZoneOperationsClient",
        "MetricServiceClient",
        "PublisherClient",
        "ExtendedOperation",
    }
)
#: Annotations that mark a parameter as an SDK object.
SDK_ANNOTATIONS = frozenset(
    {
        "DynamoDBClient",
        "S3Client",
        "EC2Client",
        "AutoScalingClient",
        "RDSClient",
        "CloudWatchClient",
        "SQSClient",
        "STSClient",
        "OrganizationsClient",
        "TableClient",
        "ContainerClient",
        "QueueClient",
        "Bucket",
        "Blob",
        "PublisherClient",
    }
)
#: Names that hold a logger: ``log.exception(...)`` is not ``Future.exception``.
LOGGERS = frozenset({"log", "logger", "logging"})
#: boto3's managed transfers: several requests each, declared by their own name.
BOTO3_TRANSFERS = frozenset({"upload_file", "download_file", "upload_fileobj", "download_fileobj"})


@cache
def botocore_operations(services: frozenset[str] | None = None) -> dict[str, frozenset[str]]:
    """snake_case operation name -> the botocore services (all, or ``services``) that have it."""
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    operations: dict[str, set[str]] = {}
    for service in services or session.get_available_services():
        for name in session.get_service_model(service).operation_names:
            operations.setdefault(xform_name(name), set()).add(service)
    return {name: frozenset(services) for name, services in operations.items()}


@cache
def botocore_operation(service: str, snake_name: str) -> str | None:
    """The CamelCase operation of ``service`` whose snake_case name is ``snake_name``."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    for name in model.operation_names:
        if xform_name(name) == snake_name:
            return str(name)
    return None


def _key(node: ast.expr) -> str | None:
    """A trackable name: ``x`` or ``self._x`` (or ``self.x``)."""
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("self", "cls")
    ):
        return f"self.{node.attr}"
    return None


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


class _Typing:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.typed: set[str] = set()
        #: functions annotated to return an SDK object (``def _client(self) -> S3Client``)
        self.factories = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.returns is not None
            and any(n in ast.unparse(node.returns) for n in SDK_ANNOTATIONS | SDK_CONSTRUCTORS)
        }
        self._annotated_parameters()
        self._propagate()

    def _annotated_parameters(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.arg) and node.annotation is not None:
                text = ast.unparse(node.annotation)
                if any(name in text for name in SDK_ANNOTATIONS):
                    self.typed.add(node.arg)

    def is_sdk(self, node: ast.expr) -> bool:
        key = _key(node)
        if key is not None and key in self.typed:
            return True
        if isinstance(node, ast.Call):
            callee = _callee_name(node.func)
            if callee in SDK_CONSTRUCTORS or callee in self.factories:
                return True
            if isinstance(node.func, ast.Attribute):
                # QueueClient.from_connection_string(...), client.get_blob_client(...)
                return self.is_sdk(node.func.value) or _callee_name(node.func.value) in (
                    SDK_CONSTRUCTORS
                )
            return False
        if isinstance(node, ast.Attribute):
            return node.attr in SDK_SUBCLIENTS and self.is_sdk(node.value)
        if isinstance(node, ast.Subscript):
            return self.is_sdk(node.value)
        return False

    def _propagate(self) -> None:
        changed = True
        while changed:
            changed = False
            for node in ast.walk(self.tree):
                targets: list[ast.expr] = []
                value: ast.expr | None = None
                if isinstance(node, ast.Assign):
                    targets, value = list(node.targets), node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    targets, value = [node.target], node.value
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    targets, value = [node.optional_vars], node.context_expr
                elif isinstance(node, ast.For):
                    targets, value = [node.target], node.iter
                elif isinstance(node, ast.NamedExpr):
                    targets, value = [node.target], node.value
                if value is None or not self.is_sdk(value):
                    continue
                for target in targets:
                    key = _key(target)
                    if key is not None and key not in self.typed:
                        self.typed.add(key)
                        changed = True


#: SDK classes (module:attribute) whose public methods are the Azure / Google "SDK calls".
SDK_CLASSES = {
    "azure": (
        "azure.data.tables:TableClient",
        "azure.data.tables:TableServiceClient",
        "azure.storage.blob:ContainerClient",
        "azure.storage.blob:BlobClient",
        "azure.storage.blob:BlobServiceClient",
        "azure.storage.blob:StorageStreamDownloader",
        "azure.storage.queue:QueueClient",
        "azure.mgmt.compute:ComputeManagementClient",
        "azure.mgmt.compute.operations:VirtualMachinesOperations",
        "azure.monitor.querymetrics:MetricsClient",
        "azure.core.polling:LROPoller",
        "azure.mgmt.resource.resources:ResourceManagementClient",
        "azure.mgmt.resource.resources.operations:ResourcesOperations",
        "azure.mgmt.resource.resources.operations:ResourceGroupsOperations",
        "azure.mgmt.resource.resources.operations:TagsOperations",
    ),
    "gcp": (
        "google.cloud.storage:Bucket",
        "google.cloud.storage:Blob",
        "google.cloud.storage:Client",
        "google.cloud.compute_v1:InstancesClient",
        "google.cloud.compute_v1:DisksClient",
        "google.cloud.compute_v1:RegionDisksClient",
        "google.cloud.resourcemanager_v3:ProjectsClient",
        "google.cloud.compute_v1:ZoneOperationsClient",
        "google.cloud.monitoring_v3:MetricServiceClient",
        "google.cloud.pubsub_v1:PublisherClient",
        "google.api_core.extended_operation:ExtendedOperation",
    ),
}
#: Attributes of an SDK object that are SDK objects themselves (operation groups, clients).
SDK_SUBCLIENTS = frozenset({"virtual_machines", "client", "resources", "resource_groups", "tags"})


@cache
def sdk_methods(cloud: str) -> tuple[frozenset[str], frozenset[str]]:
    """(methods of the cloud's SDK classes, those of them that builtins share: ``get``...).

    Properties and classmethods (``from_connection_string``) are left out: reading a property
    or building a client sends nothing.
    """
    import datetime
    import importlib
    import inspect
    import io
    import re

    methods: set[str] = set()
    for spec in SDK_CLASSES[cloud]:
        module, name = spec.split(":")
        cls = getattr(importlib.import_module(module), name)
        for attr in dir(cls):
            if attr.startswith("_"):
                continue
            raw = inspect.getattr_static(cls, attr)
            if isinstance(raw, property | classmethod | staticmethod):
                continue
            if callable(getattr(cls, attr, None)):
                methods.add(attr)
    builtin: set[str] = set()
    for kind in (dict, list, str, bytes, set, Path, datetime.datetime, re.Pattern, io.IOBase):
        builtin |= set(dir(kind))
    return frozenset(methods), frozenset(methods & builtin)


def sdk_calls(source: str, *, cloud: str | None) -> dict[str, list[int]]:
    """SDK method name -> the lines it is called (or taken as a callable) on, for one module.

    AWS: a botocore operation or managed transfer called on an SDK-typed receiver (boto3
    clients are generic, so only the typing tells them apart). Azure / Google: a method of one
    of ``SDK_CLASSES``, called or referenced anywhere, except names that builtins share
    (``get``, ``close``...), which count only on an SDK-typed receiver.
    """
    if cloud is None:  # a module for every cloud (the composition roots): each cloud's rules
        merged: dict[str, list[int]] = {}
        for each in ("aws", "azure", "gcp"):
            for name, lines in sdk_calls(source, cloud=each).items():
                merged[name] = sorted(set(merged.get(name, [])) | set(lines))
        return merged
    tree = ast.parse(source)
    typing = _Typing(tree)
    found: dict[str, list[int]] = {}
    called: set[int] = set()
    # Classes and functions of our own: ``PubSubWorkQueue.create(...)`` is not an SDK call.
    own = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("costwarden")
        for alias in node.names
    }

    def add(name: str, node: ast.AST) -> None:
        found.setdefault(name, []).append(getattr(node, "lineno", 0))

    operations = botocore_operations(_aws_services(tree)) if cloud == "aws" else {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called.add(id(node.func))
            receiver, name = node.func.value, node.func.attr
            if isinstance(receiver, ast.Name) and receiver.id in own | LOGGERS:
                continue
            if isinstance(receiver, ast.Name) and receiver.id == "parameters":
                add(f"parameters.{name}", node)  # Powertools Parameters (SSM, Secrets Manager)
                continue
            if cloud == "aws":
                _aws_call(node, typing, add, operations)
            elif _azure_gcp_call(name, receiver, typing, cloud):
                add(name, node)
    if cloud != "aws":
        # A bound method taken to call later (``functools.partial(self._ops.get, ...)``,
        # ``self._listed(..., self._client.resources.list)``).
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and id(node) not in called
                and isinstance(node.ctx, ast.Load)
                and node.attr in sdk_methods(cloud)[0]
                and typing.is_sdk(node.value)
            ):
                add(node.attr, node)
    return {name: sorted(lines) for name, lines in found.items()}


def _aws_services(tree: ast.Module) -> frozenset[str] | None:
    """The boto3 services a module names (``client("sqs")``, ``mypy_boto3_sqs`` imports).

    None (every service) when a client is made from a name that is not a literal.
    """
    services: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee_name(node.func) == "client" and node.args:
            arg = node.args[0]
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                return None
            services.add(arg.value)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mypy_boto3_"):
            services.add(node.module.split(".")[0].removeprefix("mypy_boto3_").replace("_", "-"))
    return frozenset(services)


def _aws_call(node: ast.Call, typing: _Typing, add: object, operations: object) -> None:
    assert isinstance(node.func, ast.Attribute)
    name, receiver = node.func.attr, node.func.value
    if not typing.is_sdk(receiver):
        return
    if name in ("get_paginator", "get_waiter"):
        arg = node.args[0] if node.args else None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            op = arg.value if name == "get_paginator" else _waiter_operation(arg.value)
            add(op, node)  # type: ignore[operator]
        return
    if name in operations or name in BOTO3_TRANSFERS:  # type: ignore[operator]
        add(name, node)  # type: ignore[operator]


def _azure_gcp_call(name: str, receiver: ast.expr, typing: _Typing, cloud: str) -> bool:
    methods, ambiguous = sdk_methods(cloud)
    if name not in methods:
        return False
    if name in ambiguous:
        # ``get``/``close``/...: only on a name that holds an SDK object, not on whatever an
        # SDK call returned (``response.json().get(...)`` is a dict's).
        if isinstance(receiver, ast.Attribute) and receiver.attr in SDK_SUBCLIENTS:
            return typing.is_sdk(receiver)  # client.virtual_machines.get(...)
        return _key(receiver) in typing.typed
    return True


def _waiter_operation(waiter: str) -> str:
    """The operation a botocore waiter polls (``table_exists`` -> ``describe_table``)."""
    import botocore.session
    from botocore import xform_name

    session = botocore.session.get_session()
    for service in ("dynamodb", "s3", "ec2", "rds", "autoscaling", "sqs"):
        model = session.get_waiter_model(service)
        camel = "".join(part.capitalize() for part in waiter.split("_"))
        if camel in model.waiter_names:
            return xform_name(model.get_waiter(camel).operation)
    return f"waiter:{waiter}"


def reachable_modules(shared: Path, entry_points: Iterable[Path]) -> set[str]:
    """``costwarden`` modules the entry points can import, lazily or not (and lazy-map strings)."""

    def module_file(name: str) -> Path | None:
        base = shared / Path(*name.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def imports(path: Path) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.startswith("costwarden.") else []
            for name in names:
                parts = name.split(".")
                if parts[0] != "costwarden":
                    continue
                # Importing a.b.c runs a and a.b first.
                found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        return {name for name in found if module_file(name) is not None}

    seen: set[str] = set()
    todo = [name for entry in entry_points for name in imports(entry)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        if path is not None:
            todo += [m for m in imports(path) if m not in seen]
    return seen


def scan_modules(root: Path, modules: Iterable[str]) -> dict[str, dict[str, list[int]]]:
    """``costwarden.x.y`` module names -> their SDK calls (AWS rules for ``.aws.`` modules)."""
    result: dict[str, dict[str, list[int]]] = {}
    for module in modules:
        path = root / Path(*module.split(".")).with_suffix(".py")
        cloud = next((c for c in ("aws", "azure", "gcp") if f".{c}." in module), None)
        result[module] = sdk_calls(path.read_text(encoding="utf-8"), cloud=cloud)
    return result
