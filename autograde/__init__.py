"""The instructor's pipeline for the Unit 2 course: release, grade a whole
class in parallel, feedback and reports, on top of nbgrader."""

__version__ = "0.1.0"

import sys as _sys

# nbformat imports jsonschema, which checks the "iri" string format with rfc3987_syntax
# when that is installed (it comes with jupyter_events' jsonschema[format-nongpl]); its
# import compiles a Lark grammar, 1.6 s at every start of autograde and of each process
# it spawns. No schema the grader validates (notebooks, nbgrader's metadata) uses that
# format: an import that fails makes jsonschema leave that one format unchecked.
_sys.modules.setdefault("rfc3987_syntax", None)
