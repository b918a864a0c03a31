"""``proxy.routes``' shared file and status helpers: what the CLI and the app's
*Local routes* view both stand on (``load_routes_file``, ``save_routes_file``,
``route_ports``, ``route_statuses``, ``reachable``, ``trust_summary``).

Certificates come from a temporary store; sockets are real, on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.certs.store import CertStore
from proxy.certs.trust import ABSENT, TRUSTED, Presence, StoreStatus, TrustStore
from proxy.routes import (
    NEW_FILE_TEXT,
    LocalRoute,
    RouteError,
    add_local_route,
    check_local_ca_trust,
    delete_route,
    load_routes_file,
    put_route,
    reachability,
    reachable,
    remove_local_route,
    route_ports,
    route_statuses,
    routes_of,
    save_routes_file,
    trust_summary,
    with_local_certificate,
)


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])  # closed once the block ends


def test_a_missing_file_loads_as_new_and_its_last_route_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "routes.cfg"
    config, errors = load_routes_file(path)
    assert errors == [] and not path.exists()
    add_local_route(config, LocalRoute("app.localhost", "127.0.0.1:3000"))
    assert save_routes_file(config, path) and path.read_text().startswith(NEW_FILE_TEXT)
    config, _ = load_routes_file(path)
    assert remove_local_route(config, "app.localhost")
    assert not save_routes_file(config, path) and not path.exists()


def test_a_file_with_errors_reports_them(tmp_path: Path) -> None:
    path = tmp_path / "routes.cfg"
    path.write_text('frontend local_routes\n    acl x "unterminated\n')
    _config, errors = load_routes_file(path)
    assert [str(e) for e in errors] == [f"{path}:2:11: error: unmatched quote (\") starting at column 11"]


def test_ports_come_from_the_file_and_may_not_clash(tmp_path: Path) -> None:
    config, _ = load_routes_file(tmp_path / "routes.cfg")
    assert route_ports(config) == (8080, 8443)
    assert route_ports(config, https=False) == (8080, None)
    add_local_route(config, LocalRoute("app.localhost", "127.0.0.1:3000", 9000, None))
    assert route_ports(config) == (9000, 8443)
    with pytest.raises(RouteError, match="cannot share port 9000"):
        route_ports(config, None, 9000)


def test_statuses_carry_the_certificate_expiry_and_urls(tmp_path: Path) -> None:
    store = CertStore(tmp_path / "certs")
    config, _ = load_routes_file(tmp_path / "routes.cfg")
    add_local_route(config, with_local_certificate(LocalRoute("app.localhost", "127.0.0.1:3000", 8080, 8443), store))
    add_local_route(config, LocalRoute("api.localhost", "127.0.0.1:4000", 8080, None))
    by_name = {s.route.hostname: s for s in route_statuses(config, store)}
    app, api = by_name["app.localhost"], by_name["api.localhost"]
    entry = store.certificate_for("app.localhost")
    assert app.expires == entry.not_after and app.local_ca and not app.expired
    assert app.urls == ("https://app.localhost:8443/", "http://app.localhost:8080/")
    assert api.expires is None and not api.local_ca and api.urls == ("http://api.localhost:8080/",)
    assert app.expires is not None and app.expires > dt.datetime.now(dt.UTC)


def test_a_certificate_outside_the_store_still_has_its_expiry(tmp_path: Path) -> None:
    store = CertStore(tmp_path / "certs")
    config, _ = load_routes_file(tmp_path / "routes.cfg")
    route = with_local_certificate(LocalRoute("app.localhost", "127.0.0.1:3000", 8080, 8443), store)
    add_local_route(config, route)
    (status,) = route_statuses(config, CertStore(tmp_path / "other"))  # not in this store: the file
    assert status.expires is not None and not status.local_ca


def test_reachable_is_a_real_tcp_connect(listening: int) -> None:
    closed = closed_port()
    assert reachable(f"127.0.0.1:{listening}")
    assert not reachable(f"127.0.0.1:{closed}")
    assert not reachable("not a target")
    assert reachability([f"127.0.0.1:{listening}", f"127.0.0.1:{closed}"]) == {
        f"127.0.0.1:{listening}": True, f"127.0.0.1:{closed}": False}


def test_trust_summary_store_by_store(tmp_path: Path) -> None:
    def status(name: str, state: str) -> StoreStatus:
        return StoreStatus(TrustStore(name, "nss", name), Presence(state))

    assert trust_summary([status("system", TRUSTED), status("nss", TRUSTED)]).text == "yes"
    partly = trust_summary([status("system", TRUSTED), status("firefox", ABSENT)])
    assert partly.text == "partly (1 of 2 stores)" and not partly.trusted
    assert "firefox: absent" in partly.detail and "proxydesk cert trust" in partly.detail
    assert trust_summary([status("system", ABSENT)]).text == "no"
    assert trust_summary([]).text == "no"
    store = CertStore(tmp_path / "certs")
    none_yet = check_local_ca_trust(store)
    assert none_yet.text == "no" and "No local CA" in none_yet.detail and not store.has_ca()


def test_put_route_refuses_before_writing_and_delete_route_is_its_inverse(tmp_path: Path) -> None:
    store = CertStore(tmp_path / "certs")
    path = tmp_path / "config" / "routes.cfg"
    assert put_route(path, "api.localhost", "4000", https=False, store=store) is None
    before = path.read_bytes()
    for name, target, why in (("app.localhost", "99999", "port '99999'"), ("bad name", "3000", "not a host name")):
        with pytest.raises(RouteError, match=why):
            put_route(path, name, target, store=store)
        assert path.read_bytes() == before
    put_route(path, "app.localhost", "3000", store=store)
    previous = put_route(path, "web.localhost", "3001", replacing="app.localhost", store=store)
    assert previous is None and [r for r, _ in routes_of(load_routes_file(path)[0])] == [
        "api.localhost", "web.localhost"]
    delete_route(path, "web.localhost")
    assert path.read_bytes() == before
    with pytest.raises(RouteError, match=r"no route for web\.localhost"):
        delete_route(path, "web.localhost")
