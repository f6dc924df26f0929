"""Every assignment, graded for real by nbgrader on a temporary copy of the course."""

from __future__ import annotations

import filecmp
import time

import nbformat
import pytest

from autograde.variants import load_variants

from .harness import (
    ASSIGNMENTS,
    GROUPED,
    ROOT,
    cell_text,
    executed,
    grade_cells,
    notebook_names,
)

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader]

VARIANTS = [pytest.param(a, v.id, marks=pytest.mark.xdist_group(a))
            for a in ASSIGNMENTS for v in load_variants(ROOT, a)]


def test_there_are_six_assignments():
    assert ASSIGNMENTS == ["a1-neurons", "a2-activations", "a3-nonlinearity", "a4-backprop",
                           "a5-losses", "a6-digits"]


@pytest.mark.parametrize("assignment", GROUPED)
def test_release_is_what_nbgrader_generates(assignment, graded):
    committed = ROOT / "release" / assignment
    generated = graded(assignment).course / "release" / assignment
    cmp = filecmp.dircmp(committed, generated, ignore=[".ipynb_checkpoints", "__pycache__"])
    stale = cmp.left_only + cmp.right_only + cmp.diff_files
    # dircmp compares shallowly (size, mtime); compare contents explicitly
    stale += [f for f in cmp.common_files
              if (committed / f).read_bytes() != (generated / f).read_bytes()]
    assert not stale, (
        f"release/{assignment} is out of sync with source/{assignment} ({sorted(set(stale))}).\n"
        f"Regenerate it: make release   (or: nbgrader generate_assignment {assignment} --force)"
    )


@pytest.mark.parametrize("assignment", GROUPED)
def test_source_notebooks_are_committed_without_outputs(assignment):
    for name in notebook_names(assignment):
        nb = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4)
        dirty = [c.metadata.get("nbgrader", {}).get("grade_id", c.source[:40])
                 for c in nb.cells
                 if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{assignment}/{name}: clear the outputs of {dirty}"


@pytest.mark.parametrize("assignment", GROUPED)
def test_every_exercise_has_public_and_hidden_tests_with_points(assignment):
    for name in notebook_names(assignment):
        nb = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4)
        tests = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("grade")
                 and not c.metadata["nbgrader"].get("solution")}
        answers = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                   if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
        assert answers, f"{assignment}/{name} has no answer cells"
        for answer in answers:
            public = [g for g in tests if g.startswith(f"{answer}-public")]
            hidden = [g for g in tests if g.startswith(f"{answer}-hidden")]
            assert public and hidden, f"{answer}: needs {answer}-public and {answer}-hidden cells"
            for g in hidden:
                assert "### BEGIN HIDDEN TESTS" in tests[g].source, f"{g} hides nothing"
            for g in public:
                assert "### BEGIN HIDDEN TESTS" not in tests[g].source, f"{g} should be visible"
        for g, cell in tests.items():
            assert float(cell.metadata["nbgrader"]["points"]) > 0, f"{g} has no points"


@pytest.mark.parametrize("assignment", GROUPED)
def test_solution_earns_full_marks_and_blank_earns_zero(assignment, graded):
    g = graded(assignment)
    assert g.max_points, "no autograded cells found"
    solution = g.scores["solution"]
    lost = {k: (solution[k], v) for k, v in g.max_points.items() if solution[k] != v}
    assert not lost, (f"the solution loses points: {lost}\n" +
                      "\n".join(g.outputs["solution"][k] for k in lost))
    assert g.stderr_cells["solution"] == [], "the solution writes to stderr"
    blank = g.scores["blank"]
    assert all(blank[k] == 0 for k in g.max_points), f"blank earns points: {blank}"
    # the untouched notebook fails with the friendly message, not a traceback
    for k in g.max_points:
        text = g.outputs["blank"][k]
        assert "not implemented yet" in text or "\u2717" in text, f"{k}: {text[:500]}"
        assert "Traceback" not in text, f"{k} shows a traceback to the student:\n{text[:1500]}"


@pytest.mark.parametrize("assignment,variant", VARIANTS)
def test_variant_loses_exactly_its_points(assignment, variant, graded):
    """A typical mistake costs its own exercise's points (exactly the declared cells)
    and no others; an alternative answer costs nothing; calling the reference costs all.

    Variants of unrelated exercises share a submission (see harness.group_variants):
    that submission must lose exactly the union of their declared cells.
    """
    g = graded(assignment)
    v = g.variants[variant]
    student, group = g.groups[variant]
    scores = g.scores[student]
    unknown = set(v.loses) - set(g.max_points)
    assert not unknown, f"{variant}: loses unknown cells {unknown}"
    own = {k for k in g.max_points
           if k.startswith(f"{v.cell}-public") or k.startswith(f"{v.cell}-hidden")}
    lost = {k for k, pts in g.max_points.items() if scores[k] != pts}
    declared = set().union(*(set(w.loses) | set(w.also_loses) for w in group))

    def explain(cells):
        return "\n".join(f"--- {k}:\n{g.outputs[student][k][:1500]}" for k in sorted(cells))

    assert lost & own == set(v.loses), (
        f"{v.kind} {variant!r} ({v.description}) should lose {sorted(v.loses)}, "
        f"lost {sorted(lost & own)}\n" + explain((lost & own) ^ set(v.loses)))
    assert lost == declared, (
        f"{student} ({', '.join(w.id for w in group)}) lost {sorted(lost - declared)} "
        f"beyond what its variants declare: collateral damage\n" + explain(lost - declared))
    for k in v.loses:
        assert scores[k] == 0, f"{k} gave partial credit {scores[k]}"
        text = g.outputs[student][k]
        assert "Traceback" not in text, f"{k} shows a traceback:\n{text[:1500]}"
        for words in v.feedback:
            assert words in text, f"{k}'s feedback should mention {words!r}:\n{text[:1500]}"
    if v.kind == "cheat":
        assert any("reference you are asked to write" in g.outputs[student][k] for k in v.loses)


@pytest.mark.parametrize("assignment", GROUPED)
def test_autograde_scores_every_honest_answer_as_nbgrader_does(assignment, graded, autograded):
    """The trusted split changes who computes a score, not the score: every cell of the
    solution, the blank notebook and every mistake or alternative gets nbgrader's own
    score; an exercise answered by calling the reference may only lose more (the
    reference is withheld from the kernel, so a cheat's fallback fails too)."""
    g, a = graded(assignment), autograded(assignment)
    assert set(a.scores) == set(g.scores)
    cheats = {student: {v.cell for v in group if v.kind == "cheat"}
              for student, group in g.groups.values()}
    more = {student: {c for v in group for c in v.loses_when_withheld}
            for student, group in g.groups.values()}
    declared = {student: {c for v in group for c in (*v.loses, *v.also_loses)}
                for student, group in g.groups.values()}
    differ = []
    for student, cells in g.scores.items():
        cheated = cheats.get(student, set())
        for cell, score in cells.items():
            mine = a.scores[student][cell]
            if cell in more.get(student, set()):   # declared: the reference is withheld
                ok = mine == 0 and (score == g.max_points[cell]
                                    or cell in declared.get(student, set()))
            elif any(cell.startswith(f"{c}-") for c in cheated):
                ok = (mine or 0) <= (score or 0)
            else:
                ok = mine == score
            if not ok:
                differ.append(f"{student} {cell}: nbgrader {score}, autograde {mine}\n"
                              f"{a.outputs[student].get(cell, '')[:800]}")
    assert not differ, "\n".join(differ)


@pytest.mark.parametrize("assignment", GROUPED)
def test_feedback_hides_hidden_tests(assignment, graded):
    g = graded(assignment)
    page = g.feedback_html("blank")
    assert "BEGIN HIDDEN TESTS" not in page and "END HIDDEN TESTS" not in page
    assert "not implemented yet" in page


@pytest.mark.parametrize("assignment", GROUPED)
def test_every_exercise_has_a_typical_mistake(assignment):
    variants = load_variants(ROOT, assignment)
    for name in notebook_names(assignment):
        nb = nbformat.read(ROOT / "source" / assignment / f"{name}.ipynb", as_version=4)
        answers = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                   if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
        covered = {v.cell for v in variants if v.kind == "mistake"}
        assert answers <= covered, f"{assignment}: no typical mistake for {answers - covered}"
        cheats = {v.cell for v in variants if v.kind == "cheat"}
        assert cheats, f"{assignment}: no submission that calls the reference"
        for cell in cheats | covered:
            assert cell in answers, f"variant for unknown answer cell {cell}"


@pytest.mark.parametrize("assignment", GROUPED)
def test_solution_runs_top_to_bottom_quietly(assignment):
    """As a student runs it in JupyterLab (plots on): no error, nothing on stderr."""
    for name in notebook_names(assignment):
        start = time.perf_counter()
        nb = executed(ROOT / "source" / assignment / f"{name}.ipynb")
        seconds = time.perf_counter() - start
        problems = [
            f"cell {i}: {cell_text(c)[:800]}" for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and any(
                o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")
                for o in c.outputs)]
        assert not problems, f"{assignment}/{name}:\n" + "\n".join(problems)
        print(f"{assignment}/{name}: executed in {seconds:.1f} s")
        assert grade_cells(nb), "no test cells"
