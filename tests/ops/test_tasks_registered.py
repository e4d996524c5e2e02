"""Every Celery task defined anywhere in src/hejie (``@shared_task``, ``@app.task``,
``@celery_app.task``) is registered by the autodiscovery a worker runs, and every task the beat
schedule sends is one of them. Read from the source, so a task written in a module that
autodiscovery does not import fails here."""

import ast
from pathlib import Path

from django.conf import settings

import hejie
from hejie.celery import app

SRC = Path(hejie.__file__).resolve().parent


def _task_name(decorator: ast.expr) -> tuple[bool, str | None]:
    """(is a task decorator, its name= if given)."""
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call else decorator
    is_task = (isinstance(target, ast.Name) and target.id == "shared_task") or (
        isinstance(target, ast.Attribute) and target.attr in {"task", "shared_task"})
    if not is_task:
        return False, None
    for kw in call.keywords if call else []:
        if kw.arg == "name":
            return True, kw.value.value if isinstance(kw.value, ast.Constant) else kw.value.id
    return True, None


def _constants(tree: ast.Module, module: str) -> dict[str, str]:
    """Module-level string constants, and those imported by name from other hejie modules."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hejie"):
            path = SRC.parent / (node.module.replace(".", "/") + ".py")
            if path.exists():
                other = _constants(ast.parse(path.read_text()), node.module)
                found |= {(a.asname or a.name): other[a.name] for a in node.names if a.name in other}
    return found


def declared_tasks() -> dict[str, str]:
    """{task name: where it is defined} for every task in the source."""
    tasks = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        constants = None
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                is_task, name = _task_name(decorator)
                if not is_task:
                    continue
                if name is not None and not name.startswith("hejie."):  # a constant's name
                    constants = constants if constants is not None else _constants(tree, module)
                    name = constants[name]
                tasks[name or f"{module}.{node.name}"] = f"{module}.{node.name}"
    return tasks


def test_every_task_in_the_source_is_registered_by_autodiscovery():
    declared = declared_tasks()
    # the ones there are today: a task removed or renamed shows here too
    assert set(declared) >= {"hejie.sweep", "hejie.notifications.deliver", "hejie.webhooks.deliver",
                             "hejie.partners.import_commit", "hejie.complaints.drafts_purge",
                             "hejie.complaints.figures_check", "hejie.complaints.privacy_purge"}, declared
    app.loader.import_default_modules()  # what a worker does when it starts: autodiscover_tasks()
    registered = {name for name in app.tasks if name.startswith("hejie.") and not name.startswith("hejie.tests.")}
    assert registered == set(declared), (sorted(registered), declared)


def test_every_scheduled_task_exists_and_acknowledges_late():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {"hejie.sweep", "hejie.complaints.privacy_purge", "hejie.complaints.figures_check"}
    purge = settings.CELERY_BEAT_SCHEDULE["privacy-purge"]["schedule"]  # daily at 03:30 Shanghai (CELERY_TIMEZONE)
    assert (purge.hour, purge.minute) == ({3}, {30}) and settings.CELERY_TIMEZONE == "Asia/Shanghai"
    for name in declared_tasks():
        assert app.tasks[name].acks_late, name
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST and settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
