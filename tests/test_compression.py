"""Pages travel compressed to browsers that accept it (phones on slow links)."""

from __future__ import annotations

import gzip

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_page_is_gzipped_for_a_browser_that_accepts_it_and_keeps_its_headers(client):
    plain = client.get(reverse("accounts:login"))
    packed = client.get(reverse("accounts:login"), HTTP_ACCEPT_ENCODING="gzip, deflate")

    assert "Content-Encoding" not in plain  # a client that did not ask gets it as it is
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    body = gzip.decompress(packed.content).decode()
    assert "工作人员登录" in body
    assert len(packed.content) < len(plain.content) / 2
    # the security headers are those of the plain answer
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert packed[header] == plain[header]


def test_a_tiny_json_answer_is_left_alone(client):
    answer = client.get("/healthz", HTTP_ACCEPT_ENCODING="gzip")
    assert answer.status_code == 200 and "Content-Encoding" not in answer
