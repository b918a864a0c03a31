"""``proxydesk check`` valid <=> the engine runs it: the registry's engine facts are the engine's.

The registry (proxy.config.keywords) says what the embedded engine implements;
the checker warns, on the line, wherever a config leaves that; the compiler
refuses exactly those lines.  These tests hold the three together:

* every keyword the registry marks ``runs`` is read by the compiler on the
  corpus, and every keyword the compiler reads is marked ``runs``;
* the engine's own tables (actions, fetches, converters, algorithms, check
  matchers, error pages) are the registry's lists;
* on every config of tests/data/: the lines the engine refuses are the lines
  ``check`` warns "refuses" about, and a config with no such warning compiles.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from proxy.app.run_commands import load_for_engine
from proxy.config import keywords as kw
from proxy.config.load import check_text, load
from proxy.config.model import Config
from proxy.config.semantics import Semantics, describe
from proxy.config.validate import ENGINE_IGNORES, ENGINE_REFUSES
from proxy.engine import acl, balance, health, http1, logformat
from proxy.engine.runtime import HTTP_ACTIONS, CompileError, compile_config
from tests.conftest import DATA

ROOT = Path(__file__).resolve().parents[3]
CORPUS = sorted((DATA / "valid").glob("*.cfg"))
CONFIGS = [*CORPUS, ROOT / "proxy" / "demo" / "tutorial.cfg"]

# What the corpus lacks: one line for each keyword the engine runs that no corpus
# config both uses and compiles.
PROBE = """\
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
    option httpclose
frontend fe
    bind 127.0.0.1:0
    errorfile 503 errors/503.http
    default_backend be
backend be
    server s 127.0.0.1:9
"""


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _compiled(config: Config) -> tuple[Semantics, list[int]]:
    """The compiler's view (what it read) and the lines it refused."""
    semantics = describe(config)
    try:
        compile_config(config, DATA, semantics=semantics)
    except CompileError as exc:
        return semantics, sorted({d.line for d in exc.diagnostics if d.is_error})
    return semantics, []


def _keyword_reads(config: Config) -> dict[str, bool]:
    """For each keyword used in a compiled config's proxy sections: did the compiler read it?"""
    semantics, refused = _compiled(config)
    assert refused == [], f"{config.path} does not compile"
    read = set().union(*(m.read for m in semantics.proxies))
    found: dict[str, bool] = {}
    for meaning in semantics.proxies:
        sec = kw.SECTION_KINDS.get(meaning.section.kind)
        for stmt in meaning.own:
            keyword, _ = kw.lookup(stmt.words, sec)
            if keyword is not None and not keyword.removed:
                found[keyword.name] = found.get(keyword.name, False) or id(stmt) in read
    return found


def _reads_over_the_corpus() -> dict[str, bool]:
    reads: dict[str, bool] = {}
    configs = [check_text(PROBE, str(DATA / "probe.cfg"), base_dir=DATA).config]
    for path in CONFIGS:
        result = load(path, base_dir=DATA, env={})
        if not any(d.code == ENGINE_REFUSES for d in result.diagnostics):
            configs.append(result.config)
    for config in configs:
        for name, was_read in _keyword_reads(config).items():
            reads[name] = reads.get(name, False) or was_read
    return reads


def test_the_keywords_marked_runs_are_the_ones_the_compiler_reads() -> None:
    reads = _reads_over_the_corpus()
    runs = {name for name, k in kw.PROXY_KEYWORDS.items() if k.engine == "runs"}
    read = {name for name, was_read in reads.items() if was_read}
    assert read - runs == set(), "the compiler reads these: mark them engine='runs'"
    assert runs - read == set(), "marked engine='runs' but never read on the corpus and PROBE"
    ignored = {name for name, was_read in reads.items() if not was_read}
    assert all(kw.PROXY_KEYWORDS[name].engine != "runs" for name in ignored)


def test_the_engines_tables_are_the_registrys() -> None:
    assert {*HTTP_ACTIONS, "set-var"} == kw.ENGINE_HTTP_ACTIONS
    assert set(logformat.FETCHES) == kw.ENGINE_FORMAT_FETCHES
    assert set(logformat.CONVERTERS) == kw.ENGINE_CONVERTERS
    engine_fetches = set(acl.known_keywords())
    assert engine_fetches <= set(kw.FETCHES), "the engine evaluates fetches HAProxy does not know"
    assert engine_fetches == kw.ENGINE_FETCHES
    implemented = {name for name, ok in kw.HTTP_CHECK_EXPECT_MATCHERS.items() if ok}
    assert set(health._EXPECT_MATCHERS) == implemented
    assert set(http1._BUILTIN_ERRORS) == kw.ERROR_STATUSES
    assert set(balance.HASH_FUNCTIONS) == set(kw.HASH_FUNCTIONS)


@pytest.mark.parametrize("name", sorted(kw.PREDEFINED_ACLS))
def test_a_predefined_acl_runs_or_check_says_the_engine_refuses_it(name: str) -> None:
    text = PROBE.replace("    default_backend be\n", f"    http-request deny if {name}\n    default_backend be\n")
    result = check_text(text, str(DATA / "probe.cfg"), base_dir=DATA)
    assert [d.code for d in result.diagnostics if d.is_error] == ["bind-port-zero"]  # the free port
    warned = sorted(d.line for d in result.diagnostics if d.code == ENGINE_REFUSES)
    _, refused = _compiled(result.config)
    assert refused == warned


@pytest.mark.parametrize("algorithm", sorted(kw.BALANCE_ALGORITHMS))
def test_each_balance_algorithm_runs_exactly_when_the_registry_says(algorithm: str) -> None:
    server = balance.ServerState(name="s", weight=1)
    spec = kw.BALANCE_ALGORITHMS[algorithm]
    args = ["path"] if algorithm == "hash" else ["id"] if algorithm == "url_param" else []
    name = f"{algorithm}(host)" if algorithm == "hdr" else algorithm
    try:
        balance.make_balancer(name, args, [server])
    except balance.BalanceError:
        assert not spec.engine, f"{algorithm}: the registry says the engine runs it"
    else:
        assert spec.engine, f"{algorithm}: the engine runs it; mark it engine=True"


@pytest.mark.parametrize("path", CONFIGS, ids=_ids(CONFIGS))
def test_check_warns_on_exactly_the_lines_the_engine_refuses(path: Path) -> None:
    result = load(path, base_dir=DATA, env={})
    assert result.ok
    warned = sorted({d.line for d in result.diagnostics if d.code == ENGINE_REFUSES})
    _, refused = _compiled(result.config)
    assert refused == warned, "\n".join(map(str, result.diagnostics))


@pytest.mark.parametrize("path", CONFIGS, ids=_ids(CONFIGS))
def test_every_gap_warning_is_located_and_says_what_to_do(path: Path) -> None:
    for d in load(path, base_dir=DATA, env={}).diagnostics:
        if d.code in (ENGINE_IGNORES, ENGINE_REFUSES):
            assert d.line > 0 and d.col > 0 and d.severity == "warning"
            assert "accepted by HAProxy; the embedded engine" in d.message
            assert d.code == ENGINE_IGNORES or "run this config on HAProxy" in d.message


def test_a_config_check_calls_clean_runs_on_the_engine() -> None:
    text = PROBE.replace("    option httpclose\n", "")
    result = check_text(text, base_dir=DATA)
    assert [d.code for d in result.diagnostics] == ["bind-port-zero"]  # the test's free port
    compile_config(result.config, DATA)


INVALID = sorted((DATA / "invalid").glob("*.cfg"))
EVERY = [*CONFIGS, *INVALID]


@pytest.mark.parametrize("path", EVERY, ids=_ids(EVERY))
def test_run_takes_exactly_what_check_calls_valid_without_a_refusal(path: Path) -> None:
    """``proxydesk run``'s loader against ``proxydesk check``'s verdict, file by file."""
    result = load(path, base_dir=DATA)
    clean = result.ok and not any(d.code == ENGINE_REFUSES for d in result.diagnostics)
    printed = io.StringIO()
    runnable = load_for_engine(path, DATA, err=printed) is not None
    assert runnable == clean, printed.getvalue()
