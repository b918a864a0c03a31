"""``proxydesk route add/remove/list``: local developer routes from the command line, end to end.

The certificate store is a temporary directory (PROXYDESK_DATA_DIR), the per-user
routes directory too (PROXYDESK_CONFIG_DIR) and so is the hosts file
(PROXYDESK_HOSTS_FILE): no test touches the user's files or /etc/hosts.  Every
written file must pass ``haproxy -c``; what the engine does with them is in
``test_route_serving``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import platformdirs
import pytest

from proxy import hostsfile
from proxy.certs import CertStore
from proxy.certs.store import ENV_DATA_DIR
from proxy.cli import main
from proxy.config.parser import parse_file
from proxy.routes import ENV_CONFIG_DIR, TARGET_FORMS, default_routes_path, routes_in, routes_of
from tests.conftest import HaproxyCheck
from tests.proxy.app._unprivileged import run_unprivileged

DEFAULTS = "global\n    log stdout format raw local0\n\ndefaults\n    mode http\n    timeout connect 5s\n"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CertStore:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "data"))
    return CertStore()


@pytest.fixture
def hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n")
    monkeypatch.setenv(hostsfile.ENV_HOSTS_FILE, str(path))
    return path


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    monkeypatch.setenv(ENV_CONFIG_DIR, str(directory))
    return directory


def route(*argv: str) -> int:
    return main(["route", *argv])


def test_add_and_list_routes_in_a_file_haproxy_accepts(
    store: CertStore, hosts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    assert route("add", "App.localhost", "127.0.0.1:3000", "-c", str(routes)) == 0
    out = capsys.readouterr().out
    assert "https://app.localhost:8443/ and http://app.localhost:8080/ -> 127.0.0.1:3000" in out
    assert route("add", "api.localhost", "127.0.0.1:4000", "-c", str(routes), "--no-https") == 0
    assert "https" not in capsys.readouterr().out.split("->")[0]
    assert route("list", "-c", str(routes)) == 0
    assert capsys.readouterr().out == ("app.localhost -> 127.0.0.1:3000  (https: yes)\n"
                                       "api.localhost -> 127.0.0.1:4000  (https: no)\n")
    assert [e.names for e in store.list_entries()] == [("app.localhost",)]  # none for plain HTTP
    checked = haproxy_check(routes, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    text = routes.read_text()
    assert "\n\nbackend be_app.localhost\n" in text and "\n\nbackend be_api.localhost\n" in text


@pytest.mark.parametrize(("target", "server"), [
    ("3000", "server app 127.0.0.1:3000\n"),  # localias's habit: a bare port
    ("localhost:3001", "server app localhost:3001\n"),
    ("[::1]:3002", "server app [::1]:3002\n"),
    ("http://127.0.0.1:3003", "server app 127.0.0.1:3003\n"),
    ("http://127.0.0.1:3003/", "server app 127.0.0.1:3003\n"),
    ("https://localhost:3443", "server app localhost:3443 ssl verify none\n"),
])
def test_every_target_form_becomes_a_server_line_haproxy_accepts(
    target: str, server: str, store: CertStore, hosts: Path, tmp_path: Path,
    haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    assert route("add", "app.localhost", target, "-c", str(routes), "--no-https") == 0
    assert f"    {server}" in routes.read_text()
    checked = haproxy_check(routes, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr + checked.stdout


@pytest.mark.parametrize("target", [
    "localhost", "3000x", "0", "99999", "127.0.0.1:0", "127.0.0.1:99999", "ftp://127.0.0.1:21",
    "http://127.0.0.1", "[::1]", "[nonsense]:3000", "bad host:3000", ":3000", "", "http://:80",
])
def test_a_bad_target_is_refused_naming_the_forms_and_changes_nothing(
    target: str, store: CertStore, hosts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = tmp_path / "routes.cfg"
    assert route("add", "api.localhost", "4000", "-c", str(routes)) == 0
    before = routes.read_bytes()
    entries = store.list_entries()
    capsys.readouterr()
    assert route("add", "app.localhost", target, "-c", str(routes)) == 1
    err = capsys.readouterr().err
    assert f"cannot route to '{target}'" in err and TARGET_FORMS in err and "nothing was changed" in err
    assert routes.read_bytes() == before and store.list_entries() == entries
    assert route("add", "new.localhost", target, "-c", str(tmp_path / "new.cfg")) == 1
    assert not (tmp_path / "new.cfg").exists()


@pytest.mark.parametrize("name", ["bad_name.localhost", "x-.localhost", "a..b", "*.", "app.*.localhost", ""])
def test_a_bad_name_is_refused(
    name: str, store: CertStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert route("add", name, "3000", "-c", str(tmp_path / "routes.cfg")) == 1
    assert "is not a host name a route can have" in capsys.readouterr().err
    assert not (tmp_path / "routes.cfg").exists() and store.list_entries() == []


def test_adding_a_routed_name_again_replaces_its_target(
    store: CertStore, hosts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    assert route("add", "app.localhost", "3000", "-c", str(routes)) == 0
    assert route("add", "api.localhost", "4000", "-c", str(routes)) == 0
    capsys.readouterr()
    assert route("add", "APP.localhost", "https://127.0.0.1:3443", "-c", str(routes)) == 0
    assert "(replaced the route of app.localhost, which went to 127.0.0.1:3000)" in capsys.readouterr().out
    config = parse_file(routes).config
    assert sorted(routes_of(config)) == [("api.localhost", "127.0.0.1:4000"),
                                         ("app.localhost", "127.0.0.1:3443")]
    text = routes.read_text()
    assert text.count("acl host_app.localhost ") == 1 and text.count("use_backend be_app.localhost ") == 1
    assert text.count("backend be_app.localhost\n") == 1 and "3000" not in text
    frontend = config.find("frontend", "local_routes")
    assert frontend is not None
    (tls,) = [b for b in frontend.binds if b.ssl]
    assert sorted(Path(c).name for c in tls.certificates) == ["api.localhost.pem", "app.localhost.pem"]
    assert route("list", "-c", str(routes)) == 0
    assert capsys.readouterr().out.count("app.localhost ->") == 1
    assert haproxy_check(routes, cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("args", [
    ("app.localhost", "3000"),
    ("app.localhost", "https://localhost:3443"),
    ("*.app.localhost", "3000"),
    ("app.localhost", "3000", "--no-https"),
])
@pytest.mark.parametrize("start", ["", "# my routes\n", DEFAULTS, DEFAULTS + "\n",
                                   DEFAULTS + "# the end\n"])
def test_remove_is_the_exact_inverse_of_add(
    args: Sequence[str], start: str, store: CertStore, hosts: Path, tmp_path: Path,
    haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    if start:
        routes.write_text(start)
    assert route("add", *args, "-c", str(routes)) == 0  # the first route: makes the frontend
    assert haproxy_check(routes, cwd=tmp_path).returncode == 0
    assert route("remove", args[0], "-c", str(routes)) == 0
    if not start:
        assert not routes.exists()  # the file 'route add' made goes with its last route
        return
    assert routes.read_text() == start
    assert route("add", "api.localhost", "4000", "-c", str(routes)) == 0
    before = routes.read_bytes()
    assert route("add", *args, "-c", str(routes)) == 0  # a route next to another
    checked = haproxy_check(routes, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert route("remove", args[0], "-c", str(routes)) == 0
    assert routes.read_bytes() == before


def test_remove_takes_a_route_and_its_certificate_out(
    store: CertStore, hosts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    routes.write_text(DEFAULTS)
    for host, port in (("app.localhost", 3000), ("api.localhost", 4000)):
        assert route("add", host, f"127.0.0.1:{port}", "-c", str(routes)) == 0
    assert route("remove", "APP.localhost", "-c", str(routes)) == 0
    config = parse_file(routes).config
    assert routes_of(config) == [("api.localhost", "127.0.0.1:4000")]
    assert config.find("backend", "be_app.localhost") is None
    frontend = config.find("frontend", "local_routes")
    assert frontend is not None
    (tls,) = [b for b in frontend.binds if b.ssl]
    assert [Path(c).name for c in tls.certificates] == ["api.localhost.pem"]
    assert haproxy_check(routes, cwd=tmp_path).returncode == 0
    text = routes.read_text()
    assert not text.endswith("\n\n") and "app.localhost" not in text
    assert route("remove", "api.localhost", "-c", str(routes)) == 0
    assert routes.read_text() == DEFAULTS  # no route: no frontend, no unknown-host page
    capsys.readouterr()
    assert route("remove", "api.localhost", "-c", str(routes)) == 1
    assert "no route for api.localhost" in capsys.readouterr().err
    assert len(store.list_entries()) == 2  # the certificates stay in the store


def test_a_broken_file_is_reported_and_left_alone(
    store: CertStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = tmp_path / "routes.cfg"
    routes.write_text("frontend web\n    bind :80 'unterminated\n")
    before = routes.read_bytes()
    assert route("add", "app.localhost", "127.0.0.1:3000", "-c", str(routes)) == 1
    assert f"{routes}:2:" in capsys.readouterr().err
    assert routes.read_bytes() == before and store.list_entries() == []


def test_the_wildcard_route_gets_a_suffix_acl_and_the_wildcard_certificate(
    store: CertStore, hosts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    haproxy_check: HaproxyCheck
) -> None:
    routes = tmp_path / "routes.cfg"
    assert route("add", "*.App.localhost", "3000", "-c", str(routes)) == 0
    assert "https://ANY.app.localhost:8443/" in capsys.readouterr().out
    text = routes.read_text()
    assert "acl host__.app.localhost req.hdr(host),field(1,:),lower -m end .app.localhost\n" in text
    assert [e.names for e in store.list_entries()] == [("*.app.localhost",)]
    (info,) = routes_in(parse_file(routes).config)
    assert info.hostname == "*.app.localhost" and info.https
    assert haproxy_check(routes, cwd=tmp_path).returncode == 0


def test_one_routes_file_per_user_whatever_the_current_directory(
    store: CertStore, hosts: Path, config_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert route("add", "app.localhost", "3000") == 0
    assert f"(in {config_dir / 'routes.cfg'})" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path / "b")
    assert route("list") == 0
    assert capsys.readouterr().out == "app.localhost -> 127.0.0.1:3000  (https: yes)\n"
    assert not list((tmp_path / "a").iterdir()) and not list((tmp_path / "b").iterdir())
    monkeypatch.delenv(ENV_CONFIG_DIR)
    assert default_routes_path() == platformdirs.user_config_path("proxydesk", appauthor=False) / "routes.cfg"


def test_list_json_for_scripts(
    store: CertStore, hosts: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert route("list", "--json") == 0  # no file yet: no routes, not an error
    assert json.loads(capsys.readouterr().out)["routes"] == []
    assert route("add", "app.localhost", "https://127.0.0.1:3443", "--ports", "80,443") == 0
    assert route("add", "*.api.localhost", "4000", "--no-https") == 0
    capsys.readouterr()
    assert route("list", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["file"] == str(config_dir / "routes.cfg")
    app, api = listing["routes"]
    assert app == {
        "name": "app.localhost", "target": "127.0.0.1:3443", "target_scheme": "https",
        "https": True, "wildcard": False, "urls": ["https://app.localhost/", "http://app.localhost/"],
        "certificate": str(store.entries_dir / "app.localhost.pem"), "backend": "be_app.localhost",
    }
    assert api["name"] == "*.api.localhost" and api["wildcard"] and not api["https"]
    assert api["certificate"] is None and api["target_scheme"] == "http"


def test_ports_asked_for_move_every_route(
    store: CertStore, hosts: Path, config_dir: Path, capsys: pytest.CaptureFixture[str],
    haproxy_check: HaproxyCheck, tmp_path: Path
) -> None:
    assert route("add", "app.localhost", "3000") == 0
    assert route("add", "api.localhost", "4000", "--ports", "80,443") == 0
    out = capsys.readouterr().out
    assert "https://api.localhost/ and http://api.localhost/ -> 127.0.0.1:4000" in out
    text = (config_dir / "routes.cfg").read_text()
    assert "bind 127.0.0.1:80\n" in text and "bind 127.0.0.1:443 ssl" in text and "8443" not in text
    assert 'href="https://app.localhost/"' in text  # the unknown-host page follows
    with pytest.raises(SystemExit):  # argparse: HTTP,HTTPS
        route("add", "x.localhost", "5000", "--ports", "80")
    assert "is not HTTP,HTTPS" in capsys.readouterr().err
    assert route("add", "x.localhost", "5000", "--http-port", "443") == 1
    assert "cannot share port 443" in capsys.readouterr().err
    assert haproxy_check(config_dir / "routes.cfg", cwd=tmp_path).returncode == 0


# --- names that resolve ------------------------------------------------------------------


def test_a_name_outside_localhost_gets_the_exact_hosts_line(
    store: CertStore, hosts: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = hosts.read_bytes()
    assert route("add", "shop.test", "3000") == 0
    err = capsys.readouterr().err
    assert "this system will not resolve shop.test" in err
    assert f"Add this line to {hosts}:\n    127.0.0.1 shop.test\n" in err and "--hosts" in err
    assert hosts.read_bytes() == before  # only with --hosts
    assert route("add", "*.shop.test", "3000") == 0
    assert "a hosts file cannot hold wildcards" in capsys.readouterr().err


def test_hosts_adds_the_line_and_remove_takes_exactly_it_away(
    store: CertStore, hosts: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hosts.write_bytes(hosts.read_bytes().rstrip(b"\n"))  # no final newline: one is added first
    before = hosts.read_bytes()
    assert route("add", "api.internal", "4000", "--hosts") == 0
    out, err = capsys.readouterr()
    assert f"added '127.0.0.1 api.internal' to {hosts}" in out and "will not resolve" not in err
    assert "api.internal" in hostsfile.mapped_names(hosts)
    assert hosts.read_bytes().startswith(before + b"\n127.0.0.1 api.internal")
    assert route("add", "api.internal", "4001", "--hosts") == 0  # replaced: no second line
    assert hosts.read_text().count("api.internal") == 1
    assert route("remove", "api.internal") == 0
    assert f"removed '127.0.0.1 api.internal' from {hosts}" in capsys.readouterr().out
    assert hosts.read_bytes() == before + b"\n"


def test_hosts_leaves_a_line_someone_else_wrote(
    store: CertStore, hosts: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hosts.write_text(hosts.read_text() + "127.0.0.1 shop.test\n")
    before = hosts.read_bytes()
    assert route("add", "shop.test", "3000", "--hosts") == 0
    assert "will not resolve" not in capsys.readouterr().err  # it is mapped already
    assert route("remove", "shop.test") == 0
    assert hosts.read_bytes() == before


def test_hosts_refuses_a_wildcard_before_writing_anything(
    store: CertStore, hosts: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert route("add", "*.shop.test", "3000", "--hosts") == 1
    assert "cannot hold a wildcard" in capsys.readouterr().err
    assert not (config_dir / "routes.cfg").exists() and store.list_entries() == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_hosts_without_permission_says_to_use_sudo_and_writes_nothing(
    shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts, routes = shared_dir / "hosts", shared_dir / "routes.cfg"
    hosts.write_text("127.0.0.1 localhost\n")
    hosts.chmod(0o444)
    monkeypatch.setenv(hostsfile.ENV_HOSTS_FILE, str(hosts))
    monkeypatch.setenv(ENV_DATA_DIR, str(shared_dir / "data"))
    if os.access(hosts, os.W_OK) and os.geteuid() != 0:
        pytest.skip("this user may write a read-only file")
    out = tmp_path / "out.txt"
    code = run_unprivileged(["route", "add", "shop.test", "3000", "--hosts", "-c", str(routes)], out)
    message = out.read_text()
    assert code == 1, message
    assert f"permission denied: cannot add '127.0.0.1 shop.test' to {hosts}" in message
    assert "nothing was changed" in message and "sudo" in message and "administrator" in message
    assert hosts.read_text() == "127.0.0.1 localhost\n" and not routes.exists()
    assert not (shared_dir / "data").exists()  # refused before any certificate was made


def test_localhost_names_need_no_hosts_line_and_the_resolver_probe_is_reported(
    store: CertStore, hosts: Path, config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert route("add", "app.localhost", "3000") == 0
    err = capsys.readouterr().err
    assert "will not resolve" not in err
    probe_fails = not hostsfile.localhost_names_resolve()
    assert ("probe.localhost did not resolve" in err) == probe_fails
    if probe_fails:
        assert "systemd-resolved or nss-myhostname" in err and "--hosts" in err


OLD_FORMAT = """\
# Local developer routes, written by 'proxydesk route add'.

frontend local_routes
    bind 127.0.0.1:8080
    mode http
    timeout client 30s
    acl host_a_b_localhost req.hdr(host),field(1,:),lower -m str a-b.localhost
    use_backend be_a_b_localhost if host_a_b_localhost

backend be_a_b_localhost
    mode http
    timeout connect 5s
    timeout server 30s
    server app 127.0.0.1:3000
"""


def test_a_file_from_before_keeps_working_and_gets_the_unknown_host_page(
    store: CertStore, hosts: Path, tmp_path: Path, haproxy_check: HaproxyCheck
) -> None:
    # the old names were made by replacing dots and hyphens, so a-b.localhost and
    # a.b.localhost both became be_a_b_localhost; routes are now found by their rules
    routes = tmp_path / "routes.cfg"
    routes.write_text(OLD_FORMAT)
    assert route("add", "a.b.localhost", "4000", "--no-https", "-c", str(routes)) == 0
    config = parse_file(routes).config
    assert routes_of(config) == [("a-b.localhost", "127.0.0.1:3000"), ("a.b.localhost", "127.0.0.1:4000")]
    assert "default_backend local_routes_unknown" in routes.read_text()
    assert haproxy_check(routes, cwd=tmp_path).returncode == 0
    assert route("add", "a-b.localhost", "3001", "--no-https", "-c", str(routes)) == 0  # replaced
    assert route("remove", "a-b.localhost", "-c", str(routes)) == 0
    assert routes_of(parse_file(routes).config) == [("a.b.localhost", "127.0.0.1:4000")]
    assert "be_a_b_localhost" not in routes.read_text()
