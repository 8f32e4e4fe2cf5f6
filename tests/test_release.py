"""release/ is current with source/ (CI fails when stale) and leaks nothing."""

import shutil

import pytest

from dlmath.course import release_dir, source_dir
from dlmath.nbgrader.release import find_leaks, generate, stale_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    generate(out)
    return out


def test_release_is_current(fresh):
    stale = stale_files(release_dir(), fresh)
    assert not stale, f"release/ is stale, run `dlmath release`: {stale}"


def test_regeneration_is_byte_stable(fresh, tmp_path):
    generate(tmp_path, [sorted(p.name for p in fresh.iterdir())[0]])
    first = sorted(p.name for p in tmp_path.iterdir())[0]
    assert stale_files(fresh / first, tmp_path / first) == []


def test_release_leaks_nothing():
    assert find_leaks() == []
    notebooks = list(release_dir().rglob("*.ipynb"))
    assert notebooks and all("autograders" not in p.read_text() for p in notebooks)


def test_leak_check_catches_a_leaky_release(tmp_path):
    """The check can fail: releasing the source notebooks themselves is caught."""
    shutil.copytree(source_dir() / "01_linear_algebra", tmp_path / "01_linear_algebra")
    leaks = [str(leak) for leak in find_leaks(tmp_path, source_dir())]
    assert any("BEGIN SOLUTION" in leak for leak in leaks)
    assert any("dlmath.grade" in leak for leak in leaks)
    assert any("secret line" in leak for leak in leaks)


def test_stale_detection(tmp_path, fresh):
    shutil.copytree(fresh, tmp_path / "copy")
    victim = next((tmp_path / "copy").rglob("*.ipynb"))
    victim.write_text(victim.read_text().replace("numpy", "numpy "))
    assert stale_files(tmp_path / "copy", fresh) == [str(victim.relative_to(tmp_path / "copy"))]
