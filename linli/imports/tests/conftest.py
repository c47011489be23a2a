import pytest


@pytest.fixture(autouse=True)
def download_dir(settings, tmp_path):
    """Job files (uploads, reports, exports, progress) go to a per-test folder."""
    settings.LINLI_DOWNLOAD_DIR = str(tmp_path / "downloads")
    return tmp_path / "downloads"
