"""Tests of cstheory/_files.py: atomic writes that keep the usual permissions (0o666 less the umask)."""
import os
import stat

import pytest

from cstheory import _files, plotting
from cstheory.report import ExperimentRun, write_report


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_written_file_is_readable_by_others(tmp_path, umask_022):
    """Figures, reports, CSV tables and text files are 0o644 under umask 0o022, as with a plain open()
    (tempfile.mkstemp would have made them private, 0o600)."""
    fig = plotting.figure(2, 2)
    fig.subplots().plot([0, 1], [1, 0])
    png = plotting.save(fig, tmp_path / "a.png")
    md, js = write_report([ExperimentRun("x", "title", 0.1, None, [])], tmp_path)
    txt = _files.atomic_write(tmp_path / "b.txt", "hello\n")
    for path in (png, md, js, txt):
        assert _mode(path) == 0o644, path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.txt", "report.json", "report.md"]


def test_the_temporary_name_keeps_the_suffix_and_is_hidden(tmp_path):
    name = _files.temporary_name(tmp_path / "fig5.png")
    assert os.path.dirname(name) == str(tmp_path) and os.path.basename(name).startswith(".fig5.")
    assert name.endswith(".png") and name != _files.temporary_name(tmp_path / "fig5.png")
