"""One upload limit: the browser's (``server.maxUploadSize``) is the evidence service's, and the
uploaders say it (a new user saw Streamlit's "200MB" while the service refused over 10 MB)."""

import tomllib

import pytest

from monitoring import services
from tests.conftest import ROOT, make_app

LEAD = "police.lead@northbridge.example"
ADMIN = "admin@northbridge.example"


def configured_mb() -> int:
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        return tomllib.load(f)["server"]["maxUploadSize"]


def test_streamlit_upload_limit_is_the_evidence_service_limit():
    # Streamlit's browser counts a megabyte as 1,000,000 bytes (case 22-upload-limit-units).
    assert configured_mb() * 1_000_000 == services.MAX_EVIDENCE_BYTES
    assert configured_mb() == services.MAX_EVIDENCE_MB


def test_the_service_refuses_one_byte_over_the_limit(demo_engine):
    with pytest.raises(services.ValidationError, match=f"the limit is {configured_mb()} MB"):
        services.check_evidence_file("big.txt", b"x" * (services.MAX_EVIDENCE_BYTES + 1))


def uploaders(at):
    return [e.proto for e in at.get("file_uploader")]


def test_evidence_uploader_says_the_limit(demo_engine, app_env):
    at = make_app(LEAD, page="app_pages/my_actions.py")
    assert not at.exception
    found = uploaders(at)
    assert found
    for proto in found:
        assert proto.max_upload_size_mb == configured_mb()
        assert f"{configured_mb()} MB" in proto.label and f"{configured_mb()} MB" in proto.help
        assert "200" not in proto.help


def test_import_uploader_says_the_limit(demo_engine, app_env):
    at = make_app(ADMIN, page="app_pages/import_tracker.py")
    assert not at.exception
    (proto,) = uploaders(at)
    assert proto.max_upload_size_mb == configured_mb()
    assert f"{configured_mb()} MB ({configured_mb() * 1_000_000:,} bytes) at most" in proto.help
