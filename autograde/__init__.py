"""The instructor's pipeline for the Unit 2 course: release, grade a whole
class in parallel, feedback and reports, on top of nbgrader."""

__version__ = "0.1.0"
