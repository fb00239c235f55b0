"""Local stand-ins for the three function runtimes, invoking the real handler modules.

Each runtime loads the handler file from ``functions/<cloud>/`` under a fresh module name, so
constructing a runtime is a cold start (new module, new cached dependencies), and invokes it the
way its platform does: a Lambda event plus context, an ``azure.functions.HttpRequest``, a
CloudEvent posted over HTTP to the functions-framework app. The local run and the tests use them.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

_counter = itertools.count()


def load_module(path: Path) -> ModuleType:
    """Import ``path`` as a brand-new module (a cold start), with its folder importable."""
    name = f"costwarden_fn_{path.parent.name}_{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    """The attributes Powertools reads from the real Lambda context object."""

    function_name: str = "costwarden-budget-alert"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:costwarden-budget-alert"
    )
    aws_request_id: str = ""

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())


class AwsLambdaRuntime:
    def __init__(self, functions_dir: Path, module: str = "budget_alert") -> None:
        self.module = load_module(functions_dir / "aws" / f"{module}.py")

    def invoke(self, event: dict[str, Any], *, request_id: str | None = None) -> Any:
        return self.module.handler(event, LambdaContext(aws_request_id=request_id or ""))


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: str


class AzureFunctionsRuntime:
    def __init__(self, functions_dir: Path) -> None:
        self.module = load_module(functions_dir / "azure" / "function_app.py")

    def post(
        self,
        function: str,
        body: bytes,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResult:
        import azure.functions as func

        user_function = getattr(self.module, function).build().get_user_function()
        request = func.HttpRequest(
            method="POST",
            url=f"http://localhost/api/{function.replace('_', '-')}",
            body=body,
            params=params or {},
            headers={"content-type": "application/json", **(headers or {})},
        )
        response = user_function(request)
        return HttpResult(response.status_code, response.get_body().decode())

    def fire_timer(self, function: str, binding_data: dict[str, Any]) -> Any:
        """Invoke a timer trigger with the host's binding data, decoded by the worker's own
        converter (``{"Schedule": ..., "ScheduleStatus": ..., "IsPastDue": ...}``)."""
        import azure.functions as func
        from azure.functions.timer import TimerRequestConverter

        user_function = getattr(self.module, function).build().get_user_function()
        datum = func.meta.Datum(type="json", value=json.dumps(binding_data))
        return user_function(TimerRequestConverter.decode(datum, trigger_metadata={}))


class GcpFunctionsRuntime:
    """functions-framework's own Flask app, driven through its test client."""

    def __init__(self, functions_dir: Path, target: str = "budget_alert") -> None:
        import functions_framework

        signature = "event" if target.endswith("_legacy") else "cloudevent"
        app = functions_framework.create_app(  # type: ignore[no-untyped-call]
            target=target, source=str(functions_dir / "gcp" / "main.py"), signature_type=signature
        )
        self.client = app.test_client()

    def deliver(self, event: dict[str, Any]) -> HttpResult:
        """POST a structured-mode CloudEvent (or a legacy background event) to the function."""
        headers = {"content-type": "application/cloudevents+json"}
        if "specversion" not in event:
            headers = {"content-type": "application/json"}
        response = self.client.post("/", data=json.dumps(event), headers=headers)
        return HttpResult(response.status_code, response.get_data(as_text=True))
