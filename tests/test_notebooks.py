"""Notebook checks: committed notebooks carry no outputs, and each one runs from top to bottom.

Notebooks run in a Jupyter kernel started by nbclient. The kernel is the
``python3`` kernel of the interpreter that runs pytest. When no ``python3``
kernelspec is installed, jupyter_client 8 falls back to ipykernel's built-in
one, and it starts a kernelspec whose command is ``python`` with
``sys.executable``. So a fresh ``make setup`` needs no ``ipykernel install``
step, and a test checks that the kernel runs in this interpreter's prefix.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
SHARED_CONTACTS = NOTEBOOK_DIR / "shared_contacts.ipynb"
PLANTED_FILE = REPO / "sample" / "planted.json"
CLUSTER_RULE = "shared_contact_cluster"
# Time limit for one cell in nbclient. The slowest cell loads the whole sample export.
CELL_TIMEOUT_SECONDS = 120
CLUSTER_TABLE_TAG = "cluster-table"

# Appended to the shared-contacts notebook before it runs. It reports, as one JSON
# line, the figures the tests check and every full personal value in the store, so
# that the tests can assert that no output shows one.
PROBE_SOURCE = """\
import json as _json
import sys as _sys

import phonenumbers as _phonenumbers


def _full_values():
    values = set()
    for kind, key, value in store.data.identifiers[["kind", "key", "value"]].itertuples(index=False):
        if kind == "phone":
            try:
                values.add(_phonenumbers.national_significant_number(_phonenumbers.parse(key, "CN")))
            except _phonenumbers.NumberParseException:
                pass
        if kind in ("phone", "bank_account", "email"):
            values.update(str(v) for v in (key, value) if v)
    values.update(str(v) for v in store.data.customers["id_number"] if v)
    values.update(str(v) for v in store.data.agents["id_number"] if v)
    values.update(str(v) for v in store.data.policies["premium_account"] if v)
    values.update(str(v) for v in store.data.policies["payer_id_number"] if v)
    return sorted(v for v in values if len(v) >= 6)


print(_json.dumps({
    "kernel_prefix": _sys.prefix,
    "cluster_rows": len(cluster_table),
    "cluster_members": [sorted(row.split(", ")) for row in cluster_table["members"]],
    "largest_size": largest.size,
    "largest_drawn_customers": sum(
        1 for _, label in largest_subgraph.nodes(data="label") if label == "Customer"
    ),
    "largest_captions": [node_caption(node, data) for node, data in largest_subgraph.nodes(data=True)],
    "full_values": _full_values(),
}))
"""


def execute(notebook: nbformat.NotebookNode, working_dir: Path) -> None:
    """Run every cell of ``notebook`` in place, in a fresh kernel started in ``working_dir``."""
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(working_dir)}},
    )
    client.execute()


def output_texts(notebook: nbformat.NotebookNode) -> list[str]:
    """Return the text of every stream, result and error output of the notebook's code cells."""
    texts: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type == "error":
                texts.append("\n".join(output.traceback))
            else:
                texts.extend(str(output.data[mime]) for mime in ("text/plain", "text/html") if mime in output.data)
    return texts


def planted_clusters() -> list[list[str]] | None:
    """Return the customer ids of each planted shared-contact cluster, or None without a planted file."""
    if not PLANTED_FILE.is_file():
        return None
    document = json.loads(PLANTED_FILE.read_text(encoding="utf-8"))
    return [sorted(case["customer_ids"]) for case in document["cases"] if CLUSTER_RULE in case["rule_codes"]]


@pytest.fixture(scope="module")
def shared_contacts_run() -> tuple[nbformat.NotebookNode, dict[str, Any]]:
    """The shared-contacts notebook and its probe, run with the repository root as working directory."""
    notebook = nbformat.read(SHARED_CONTACTS, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE_SOURCE))
    execute(notebook, REPO)
    probe_output = notebook.cells[-1].outputs
    probe_text = "".join(o.text for o in probe_output if o.output_type == "stream" and o.name == "stdout")
    probe: dict[str, Any] = json.loads(probe_text)
    return notebook, probe


def test_notebooks_folder_has_shared_contacts() -> None:
    assert SHARED_CONTACTS in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code_cells = [(index, cell) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    with_outputs = [index for index, cell in code_cells if cell.outputs]
    with_counts = [index for index, cell in code_cells if cell.execution_count is not None]
    hint = "clear all outputs (Jupyter or VS Code: Clear All Outputs, then save; or nbstripout FILE) and commit again"
    assert with_outputs == [], f"{path.name}: cells {with_outputs} have outputs; {hint}"
    assert with_counts == [], f"{path.name}: cells {with_counts} have an execution count; {hint}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_from_notebooks_folder(path: Path) -> None:
    """Run each notebook the way Jupyter does, with the notebook's folder as working directory."""
    notebook = nbformat.read(path, as_version=4)
    execute(notebook, path.parent)
    not_run = [
        index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code" and cell.execution_count is None
    ]
    assert not_run == []


def test_shared_contacts_kernel_uses_test_interpreter(
    shared_contacts_run: tuple[nbformat.NotebookNode, dict[str, Any]],
) -> None:
    _, probe = shared_contacts_run
    assert probe["kernel_prefix"] == sys.prefix


def test_shared_contacts_cluster_table_cell_shows_table(
    shared_contacts_run: tuple[nbformat.NotebookNode, dict[str, Any]],
) -> None:
    notebook, _ = shared_contacts_run
    tagged = [cell for cell in notebook.cells if CLUSTER_TABLE_TAG in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    results = [output for output in tagged[0].outputs if output.output_type == "execute_result"]
    assert len(results) == 1
    assert "text/html" in results[0].data


def test_shared_contacts_finds_planted_clusters(
    shared_contacts_run: tuple[nbformat.NotebookNode, dict[str, Any]],
) -> None:
    _, probe = shared_contacts_run
    expected = planted_clusters()
    if expected is None:
        assert probe["cluster_rows"] >= 1
        return
    assert probe["cluster_rows"] == len(expected)
    assert sorted(probe["cluster_members"]) == sorted(expected)


def test_shared_contacts_cluster_table_cell_prints_count(
    shared_contacts_run: tuple[nbformat.NotebookNode, dict[str, Any]],
) -> None:
    notebook, probe = shared_contacts_run
    tagged = next(cell for cell in notebook.cells if CLUSTER_TABLE_TAG in cell.metadata.get("tags", []))
    printed = "".join(output.text for output in tagged.outputs if output.output_type == "stream")
    assert printed.startswith(f"{probe['cluster_rows']} clusters, ")


def test_shared_contacts_draws_largest_cluster(
    shared_contacts_run: tuple[nbformat.NotebookNode, dict[str, Any]],
) -> None:
    _, probe = shared_contacts_run
    assert probe["largest_size"] >= 2
    assert probe["largest_drawn_customers"] == probe["largest_size"]


def test_shared_contacts_outputs_show_no_full_values(
    shared_contacts_run: tuple[nbformat.NotebookNode, dict[str, Any]],
) -> None:
    notebook, probe = shared_contacts_run
    # The probe cell itself prints the full values, so only the notebook's own cells count.
    notebook_cells = nbformat.v4.new_notebook(cells=notebook.cells[:-1])
    text = "\n".join([*output_texts(notebook_cells), *probe["largest_captions"]])
    leaked_values = [value for value in probe["full_values"] if value in text]
    # Compare the count, not the list, so that a failure does not print personal data.
    message = f"{len(leaked_values)} full phone, account or ID values appear in outputs or drawing captions"
    assert len(leaked_values) == 0, message
