"""The README's settings table is generated from the catalogue; it must not drift."""

import runpy

from tests.support.run import ROOT


def test_readme_lists_every_setting_as_the_catalogue_says():
    table = runpy.run_path(str(ROOT / "scripts" / "settings_table.py"))["table"]()
    assert table in (ROOT / "README.md").read_text(), "regenerate it: .venv/bin/python scripts/settings_table.py"
