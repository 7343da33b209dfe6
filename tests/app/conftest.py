"""What the page tests share: the real app opened through AppTest on a data set and a registry."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def open_app(data: Path, registry: Path, monkeypatch, timeout: int = 180) -> AppTest:
    """``app.py`` under AppTest, reading ``data`` with the models of ``registry`` (not yet run)."""
    monkeypatch.setenv("ECOMREC_REGISTRY", str(registry))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["data_dir"] = str(data)
    return at
