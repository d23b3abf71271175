"""The shipped deployment files: nginx accepts the site (`nginx -t`), the environment template
names every setting production requires, the systemd units run what exists."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from config import ProductionConfig

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (CI installs it)")
def test_nginx_accepts_the_site(tmp_path):
    """The site as shipped, inside a minimal nginx.conf, with a throwaway certificate where the real
    one would be (nginx -t opens the files it names)."""
    certs = tmp_path / "ssl"
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=dkt.example.cn",
                    "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
                   check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "dingkaotong.conf").read_text()
    site = site.replace("/etc/ssl/dingkaotong", str(certs)).replace("/var/log/nginx", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; fastcgi_temp_path {tmp_path};
    uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path};
    access_log {tmp_path}/access.log;
    include {tmp_path}/site.conf;
}}
""")
    checked = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr


def test_the_environment_template_names_every_required_setting():
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (DEPLOY / "production.env.example").read_text(), re.M))
    required = {"DATABASE_URL" if key == "SQLALCHEMY_DATABASE_URI" else key for key in ProductionConfig.REQUIRED}
    assert required <= names
    assert {"REDIS_URL", "PROXY_HOPS", "SMS_PROVIDER"} <= names  # production refuses to start without them too


def test_the_units_run_the_entry_points_that_exist():
    web = (DEPLOY / "systemd" / "dingkaotong@.service").read_text()
    worker = (DEPLOY / "systemd" / "dingkaotong-worker.service").read_text()
    assert "gunicorn -c gunicorn.conf.py wsgi:app" in web and "Restart=on-failure" in web and "ExecReload" in web
    assert "flask --app wsgi notify worker" in worker and "Restart=on-failure" in worker
    assert (DEPLOY.parent / "gunicorn.conf.py").exists() and (DEPLOY.parent / "wsgi.py").exists()
