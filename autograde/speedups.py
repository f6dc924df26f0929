"""nbgrader's bookkeeping, made cheap in one long-lived grading process; same results.

Profiled on a class of 60 notebooks (``py-spy`` on ``autograde grade``), the
main process spent about 0.3 s of every notebook in three places of
nbgrader's that are built for one short command, not a run of thousands:

- **a new SQLAlchemy engine for every Gradebook**, about six a notebook
  (sanitize, init_assignment, SaveAutoGrades, late penalties, the checks),
  each with an empty statement cache, so every query is compiled again, and a
  ``create_all`` over every table;
- **``jsonschema.validate`` for every cell's nbgrader metadata**, twice a
  notebook (CheckCellMetadata before and after execution): it checks the
  schema itself on every call before the cell;
- **a commit (an fsync) after every graded cell** in ``SaveAutoGrades``.

:func:`install` (the grading process only; workers never open the
gradebook) gives every Gradebook of a database URL one shared engine (its
``close()`` still returns its connections), creates the tables once per URL,
and compiles each metadata schema once (the errors raised are jsonschema's
own best match, as ``jsonschema.validate`` raises). :class:`SaveAutoGradesOnce`
is nbgrader's SaveAutoGrades with one commit per notebook: all of a
notebook's grades are saved together or, if anything fails, none of them.
"""

from __future__ import annotations

import json
import os
import threading

from nbgrader.preprocessors import SaveAutoGrades
from nbgrader.preprocessors.base import NbGraderPreprocessor

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Make nbgrader's gradebook and metadata checks cheap in this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        import nbgrader.api as api
        import nbgrader.nbgraderformat.common as common

        engines = api.create_engine = _SharedEngines(api.create_engine)
        api.Base.metadata.create_all = _OncePerEngine(api.Base.metadata.create_all)
        common.jsonschema = _CachedJsonschema(common.jsonschema)
        # a forked child (autograde.bounded) must not use the parent's pooled connections
        os.register_at_fork(after_in_child=engines.forget_in_child)
        _installed = True


class _SharedEngines:
    """``create_engine`` returning one engine per (URL, options) for the whole process."""

    def __init__(self, create):
        self.create, self.engines = create, {}

    def __call__(self, url, **kwargs):
        key = (str(url), tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        with _lock:
            engine = self.engines.get(key)
            if engine is None:
                engine = self.engines[key] = self.create(url, **kwargs)
        return engine

    def forget_in_child(self) -> None:
        """After a fork: the parent's connections stay the parent's (SQLAlchemy's advice)."""
        for engine in list(self.engines.values()):
            engine.dispose(close=False)


class _OncePerEngine:
    """``MetaData.create_all`` run once per engine: the tables exist after the first."""

    def __init__(self, create_all):
        self.create_all, self.done = create_all, set()

    def __call__(self, bind=None, **kwargs):
        key = str(getattr(bind, "url", bind))
        if key in self.done and not kwargs:
            return None
        result = self.create_all(bind=bind, **kwargs)
        self.done.add(key)
        return result


class _CachedJsonschema:
    """The ``jsonschema`` module, whose ``validate`` compiles each schema once."""

    def __init__(self, module):
        self._module, self._validators = module, {}

    def __getattr__(self, name):
        return getattr(self._module, name)

    def validate(self, instance, schema, *args, **kwargs):
        if args or kwargs:
            return self._module.validate(instance, schema, *args, **kwargs)
        key = json.dumps(schema, sort_keys=True, default=str)
        validator = self._validators.get(key)
        if validator is None:
            cls = self._module.validators.validator_for(schema)
            cls.check_schema(schema)   # a bad schema raises here, and is never cached
            validator = self._validators[key] = cls(schema)
        error = self._module.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
        return None


class _CommitOnce(NbGraderPreprocessor):
    """The cell loop of SaveAutoGrades with its per-cell commits deferred to its end."""

    def preprocess(self, nb, resources):
        db = self.gradebook.db
        db.commit = db.flush   # this instance only: what _add_score/_add_comment call
        try:
            nb, resources = super().preprocess(nb, resources)
            del db.commit
            db.commit()
        finally:
            vars(db).pop("commit", None)
        return nb, resources


class SaveAutoGradesOnce(SaveAutoGrades, _CommitOnce):
    """nbgrader's SaveAutoGrades (its configuration, its scores), one commit per notebook.

    SaveAutoGrades.preprocess opens the gradebook and runs the cell loop, which
    here is :class:`_CommitOnce`'s: each cell's grade is flushed, and the
    notebook's grades are committed together before the gradebook is closed.
    """
