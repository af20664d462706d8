"""Static files go over the wire small (issue 10, "light on a phone"): collectstatic's
WhiteNoise storage writes a brotli copy beside the gzip one, and WhiteNoise serves it to a
browser that accepts it. Pages themselves go out gzipped."""

import shutil

from django.conf import settings
from django.urls import reverse
from whitenoise.compress import Compressor
from whitenoise.middleware import WhiteNoiseMiddleware

CSS = settings.NODE_MODULES / "bootstrap" / "dist" / "css" / "bootstrap.min.css"


def test_bootstraps_css_gets_a_brotli_copy_smaller_than_the_gzip_one(tmp_path):
    css = tmp_path / "bootstrap.min.css"
    shutil.copy(CSS, css)
    list(Compressor(quiet=True).compress(str(css)))
    gzipped, brotli = (tmp_path / "bootstrap.min.css.gz"), (tmp_path / "bootstrap.min.css.br")
    assert brotli.exists(), "brotli is not installed: WhiteNoise writes gzip only"
    assert brotli.stat().st_size < 0.8 * gzipped.stat().st_size


def test_whitenoise_serves_the_brotli_copy_to_a_browser_that_accepts_it(tmp_path, rf):
    css = tmp_path / "site.css"
    shutil.copy(CSS, css)
    list(Compressor(quiet=True).compress(str(css)))
    middleware = WhiteNoiseMiddleware(get_response=lambda request: None)
    middleware.add_files(str(tmp_path), prefix="static/")
    request = rf.get("/static/site.css", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    response = middleware(request)
    assert response["Content-Encoding"] == "br"
    assert int(response["Content-Length"]) == (tmp_path / "site.css.br").stat().st_size


def test_pages_go_out_gzipped_to_a_browser_that_accepts_it(client, alice):
    client.force_login(alice)
    url = reverse("procedures:entry_create")
    plain = client.get(url)
    assert "Content-Encoding" not in plain
    response = client.get(url, headers={"accept-encoding": "gzip, deflate, br, zstd"})
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert len(response.content) < len(plain.content) / 3
