"""A project's row encodes its state exactly as the state's own JSON, its registration's JSON
lent from row to row."""

from api.storage.projects import ProjectRow, project_row
from notary.lifecycle import ProjectState
from tests.support.lifecycle import happy_path


def test_every_row_of_a_project_encodes_its_state_exactly() -> None:
    story, _ = happy_path()
    previous = None
    for transition in story.transitions:
        row = project_row(transition.state, previous)
        assert row.state == transition.state.model_dump_json()
        assert ProjectState.model_validate_json(row.state) == transition.state
        previous = row


def test_a_registration_replaced_is_encoded_afresh() -> None:
    story, _ = happy_path()
    state = story.transitions[-1].state
    first = project_row(state)
    assert first.state == state.model_dump_json()
    assert state.project is not None
    renamed = state.updated({"project": state.project.model_copy(update={"name": "另一个名字"})})
    second = project_row(renamed, first)
    assert "另一个名字" in second.state
    assert second.state == renamed.model_dump_json()


def test_the_registration_is_encoded_once_from_a_project_s_second_row_on() -> None:
    story, _ = happy_path()
    rows: list[ProjectRow] = []
    for transition in story.transitions:
        rows.append(project_row(transition.state, rows[-1] if rows else None))
        assert rows[-1].state == transition.state.model_dump_json()
    assert rows[0]._project_json is None  # a first row (an import's only one) encodes it whole
    registration = rows[1].value.project if rows[1].value else None
    lent = [r._project_json for r in rows[1:] if r.value and r.value.project is registration]
    assert len(lent) > 5 and all(memo is lent[0] for memo in lent)
    assert lent[0] is not None and lent[0][0] is registration
