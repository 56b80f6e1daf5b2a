"""The htmx set-up step: pinned, checksummed, and loud when the download does not match."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "fetch_htmx.sh"


def copy_script_with_checksum(tmp_path: Path, checksum: str | None) -> Path:
    (tmp_path / "scripts").mkdir()
    text = SCRIPT.read_text()
    if checksum is not None:
        text = re.sub(r'HTMX_TARBALL_SHA256="[0-9a-f]+"', f'HTMX_TARBALL_SHA256="{checksum}"', text)
    copy = tmp_path / "scripts" / "fetch_htmx.sh"
    copy.write_text(text)
    return copy


def test_pinned_version_is_a_2_0_release() -> None:
    assert re.search(r'^HTMX_VERSION="2\.0\.\d+"$', SCRIPT.read_text(), re.MULTILINE)


def test_a_checksum_mismatch_stops_setup_and_installs_nothing(tmp_path: Path) -> None:
    script = copy_script_with_checksum(tmp_path, "0" * 64)
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "checksum mismatch" in result.stderr
    assert not (tmp_path / "static" / "vendor" / "htmx.min.js").exists()


def test_the_pinned_checksum_installs_htmx(tmp_path: Path) -> None:
    assert shutil.which("npm")
    script = copy_script_with_checksum(tmp_path, None)
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    installed = (tmp_path / "static" / "vendor" / "htmx.min.js").read_bytes()
    assert installed == (ROOT / "static" / "vendor" / "htmx.min.js").read_bytes()
