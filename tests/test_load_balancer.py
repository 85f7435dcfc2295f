"""Two front ends on loopback behind the shipped nginx configuration (deploy/nginx.conf): a visitor
stays on one front end (ip_hash), a whole Gradio session (upload, queue, streamed result) works
through the proxy, and when that front end stops the visitor is served by the other."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request

import pytest

from conftest import LIBRIVOX, ROOT, free_port

pytestmark = pytest.mark.slow


def _nginx() -> str:
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if exe is None:
        pytest.fail("Debian nginx is not installed: run scripts/system-packages.sh (apt-get install -y nginx)")
    return exe


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers.get("X-Studio-Upstream", "")


@pytest.fixture
def balanced(tmp_path):
    """(nginx url, {port: demo}) with the shipped config, its ports moved to free ones."""
    import app as app_module
    from pipelines.core.config import Settings

    ports = [free_port(), free_port()]
    fronts = {}
    for p in ports:
        settings = Settings(offline=True, port=p, output_dir=tmp_path / f"out{p}")
        demo = app_module.build_app(settings)
        app_module.launch(demo, settings, prevent_thread_lock=True, quiet=True)
        fronts[p] = demo
    listen = free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = conf.replace("127.0.0.1:7861", f"127.0.0.1:{ports[0]}").replace("127.0.0.1:7862", f"127.0.0.1:{ports[1]}")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    temp = "".join(f" {k}_temp_path {tmp_path}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = conf.replace("http {", "http {\n    access_log off;" + temp, 1)
    (tmp_path / "nginx.conf").write_text(conf)
    main = f"daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;"
    if os.geteuid() == 0:
        main += " user root;"  # its workers write uploads into this test's folder
    proc = subprocess.Popen([_nginx(), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", main])
    url = f"http://127.0.0.1:{listen}/"
    try:
        for _ in range(100):
            try:
                _get(url)
                break
            except OSError:
                time.sleep(0.1)
        yield url, fronts
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        for demo in fronts.values():
            demo.close()


def test_a_visitor_stays_on_one_front_end_and_a_session_works_through_nginx(balanced):
    from gradio_client import Client, handle_file

    url, fronts = balanced
    answered = {_get(url)[1] for _ in range(6)}
    assert len(answered) == 1, answered  # sticky: one front end for this client address
    (upstream,) = answered
    port = int(upstream.rsplit(":", 1)[1])
    assert port in fronts
    client = Client(url, verbose=False)
    status, table, result = client.predict(
        [handle_file(str(sorted(LIBRIVOX.glob("*.wav"))[0]))], task="classify", api_name="/batch"
    )
    assert "1 of 1 files done" in status and result.endswith(".zip")
    fronts[port].close()  # that front end stops: the visitor is served by the other one
    other = {_get(url)[1].split(", ")[-1] for _ in range(3)}  # 'dead, other' when nginx tried the dead one first
    assert other == {f"127.0.0.1:{p}" for p in fronts if p != port}
