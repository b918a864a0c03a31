"""Benchmark: the engine hosted by the desktop app against the headless engine, same config.

Usage: python bench/gui_engine.py [--duration S] [--repeat N] [--xvfb] [--gui-core load|proxy]

Theory of operation
-------------------
Issue 5 ("Done when"): with the GUI open and the engine under load, the
window must still repaint at least 10 times a second.  Issue 12 (item 6): the
app-hosted engine -- now a child process of the app -- serves at least 0.95x
the requests of the headless one, with a p99 within 1.5x of the headless p99.

One origin (HAProxy answering with ``http-request return``, as in
``bench/engine.py``: a Python origin would cap both runs) and ``wrk`` (50
keep-alive connections) share core 0.  Core 1 runs both engines, loaded in turn
(alternating runs, so a disturbance of a shared machine hits both alike; the
"other load on core 1" column shows how much there was):

1. **GUI-hosted**: this process opens the real ``MainWindow`` on the tutorial
   config (``bench/engine.py``'s ``http_config``: every server on the origin,
   no request logging in the config), starts the engine through ``EngineHost``
   (a child process, as the app does), pins that child to core 1 and itself to
   core 0 (``--gui-core load``, the default: on a desktop the window and the
   engine are two processes the system schedules on two cores; the window's
   work then slows the load generator, not the engine -- if anything against
   the GUI-hosted figure) or to core 1 with the engine (``--gui-core proxy``:
   one core for both, to see what sharing costs); ``--gui-nice N`` lowers the
   window's priority (not the engine's) so that, sharing core 0, it takes only
   what wrk and the origin leave -- the instrument is not starved by the
   subject's window, as it would not be on a machine with a spare core), and
   shows one tab (``--view``): the Traffic graphs (default), which the window's
   own QTimer feeds from the host's latest snapshot (``latest_stats()``), or the
   Requests table, fed from ``drain_events`` (a sample under load:
   ``Engine.sample_events``).  A second QTimer forces a repaint of that tab every
   ``--repaint-ms`` (default 20 ms: 50/s, as an animation would; the issue's
   floor is 10/s).  While wrk runs (on a helper thread that only waits for it),
   the Qt event loop runs here and an event filter counts the tab's paint
   events and the longest gap between two of them.
2. **Headless**: ``python -m proxy.cli run --quiet`` on the same config (its
   own port), pinned to core 1, under the same wrk load.

Each side gets a one-second warm-up and then the best of ``--repeat`` runs of
``--duration`` seconds; every run's figures are printed too (the spread on a
shared machine).  The GUI-hosted row also gives the GUI process's CPU share:
what the window's work costs, now on a core of its own.
Offscreen Qt by default; ``--xvfb`` starts an Xvfb server (on core 0, as a
desktop's display server is another process) so paints go through a real X11
window.  Everything is on 127.0.0.1 and every
process is stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPAINT_MS = 20  # default forced repaint: what an animated graph asks for (50/s)
TARGET_RATIO = 0.95
TARGET_P99_RATIO = 1.5
TARGET_REPAINTS = 10.0


def _engine_bench() -> ModuleType:
    """bench/engine.py's process, origin, config and wrk helpers (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


eb = _engine_bench()
SCENARIO = next(s for s in eb.SCENARIOS if s.name == "HTTP keep-alive")


@dataclass
class Run:
    rate: float  # requests/s from wrk
    p99_ms: float
    errors: int
    cpu_per_10k: float  # CPU seconds of the serving process per 10k requests
    noise: float  # share of core 1 used by other processes during the run
    load_idle: float  # share of core 0 (wrk, the origin, the window) left idle: ~0 means wrk lacked CPU
    repaints: float = float("nan")  # paints/s of the watched widget (GUI runs only)
    longest_gap_ms: float = float("nan")
    gui_cpu: float = float("nan")  # share of a core the GUI process used (GUI runs only)


class _Meter:
    """CPU of the serving process and of everything else on core 1 around one run."""

    def __init__(self, serving_pid: int, idle_pids: tuple[int, ...]) -> None:
        self.pids = (serving_pid, *idle_pids)
        self.cpu = [eb.cpu_seconds(pid) for pid in self.pids]
        self.core = eb.core_busy_seconds(eb.PROXY_CORE)
        self.load_core = eb.core_busy_seconds(eb.LOAD_CORE)
        self.started = time.monotonic()

    def finish(self) -> tuple[float, float, float, float]:
        """(serving process CPU s, other load on core 1 as a share, idle share of core 0, elapsed s)."""
        elapsed = time.monotonic() - self.started
        cpu = [eb.cpu_seconds(pid) - before for pid, before in zip(self.pids, self.cpu, strict=True)]
        other = eb.core_busy_seconds(eb.PROXY_CORE) - self.core - sum(cpu)
        load_busy = eb.core_busy_seconds(eb.LOAD_CORE) - self.load_core
        return cpu[0], max(0.0, other) / elapsed, max(0.0, 1 - load_busy / elapsed), elapsed


def _per_10k(cpu: float, rate: float, seconds: float) -> float:
    requests = rate * seconds
    return cpu / requests * 10_000 if requests else float("nan")


# ------------------------------------------------------------------ the GUI side


class _PaintClock:
    """Counts paint events of one widget and the longest time between two of them."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEvent, QObject

        clock = self

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    clock.tick()
                return False

        self.filter = Filter()
        self.reset()

    def reset(self) -> None:
        self.paints = 0
        self.last = self.started = time.monotonic()
        self.longest_gap = 0.0

    def tick(self) -> None:
        now = time.monotonic()
        self.paints += 1
        self.longest_gap = max(self.longest_gap, now - self.last)
        self.last = now


def _run_qt_until(done: Callable[[], bool], poll_ms: int = 20) -> None:
    """Run the Qt event loop (the GUI thread's real work) until ``done()``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(poll_ms)
    timer.timeout.connect(lambda: loop.quit() if done() else None)
    timer.start()
    loop.exec()
    timer.stop()


@contextlib.contextmanager
def _normal_priority() -> Iterator[None]:
    """wrk at niceness 0 even when the window's thread runs niced (``--gui-nice``): on
    Linux a niceness is per thread and a child inherits its creator's.  Lowering it back
    needs root (or CAP_SYS_NICE), which ``--gui-nice`` therefore needs."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if before:
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    try:
        yield
    finally:
        if before:
            os.setpriority(os.PRIO_PROCESS, 0, before)


def _wrk_in_thread(port: int, seconds: float) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def run() -> None:
        try:
            with _normal_priority():
                result.append(eb.run_wrk(port, SCENARIO, seconds))
        except Exception as exc:  # reported by the caller, not lost in the thread
            result.append(exc)

    thread = threading.Thread(target=run, name="wrk-waiter", daemon=True)
    thread.start()
    return thread, result


class GuiSide:
    """The app's window on a config, its engine started through EngineHost, one tab shown
    (``view``: the Requests table or the Traffic graphs, which the window's own timer
    feeds) and a ``repaint_ms`` timer forcing that tab to repaint on top."""

    def __init__(self, config: Path, work: Path, view: str = "traffic",
                 repaint_ms: int = REPAINT_MS, gui_core: str = eb.LOAD_CORE,
                 gui_nice: int = 0) -> None:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        from gui.main_window import MainWindow
        from gui.theme import apply_theme

        # Before any thread starts: on Linux affinity and niceness are per thread, and a
        # thread inherits its creator's (the host's control thread must not join the engine).
        if os.cpu_count() != 1:
            os.sched_setaffinity(0, {int(gui_core)})
        if gui_nice:
            os.nice(gui_nice)
        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        apply_theme(self.app)
        self.window = window = MainWindow(settings_path=work / "ui.ini")
        window.resize(1280, 800)
        window.show()
        if not window.open_path(config):
            raise RuntimeError(f"cannot open {config}")
        window.host.start_blocking(window.document.config, window.document.base_dir)
        assert window.host.engine is not None and window.host.engine.pid is not None
        self.engine_pid = window.host.engine.pid
        if os.cpu_count() != 1:  # it inherited the window's core: to core 1, as the headless one
            for thread in os.listdir(f"/proc/{self.engine_pid}/task"):
                os.sched_setaffinity(int(thread), {int(eb.PROXY_CORE)})
        if gui_nice:  # the engine process inherited the window's niceness: give it back
            os.setpriority(os.PRIO_PROCESS, self.engine_pid, 0)
        shown = window.traffic_view if view == "traffic" else window.log_view
        window.tabs.setCurrentWidget(shown)
        watched = shown if view == "traffic" else window.log_view.table.viewport()
        self.clock = _PaintClock()
        watched.installEventFilter(self.clock.filter)
        self.graph = QTimer()
        self.graph.setInterval(repaint_ms)
        self.graph.timeout.connect(watched.update)
        self.graph.start()  # it only fires while the Qt loop runs: during GUI runs

    def run(self, port: int, seconds: float, idle_pid: int) -> Run:
        meter, gui_before = _Meter(self.engine_pid, (idle_pid,)), eb.cpu_seconds(os.getpid())
        self.clock.reset()
        thread, result = _wrk_in_thread(port, seconds)
        _run_qt_until(lambda: not thread.is_alive())
        gui_cpu = eb.cpu_seconds(os.getpid()) - gui_before  # the whole app process
        cpu, noise, load_idle, elapsed = meter.finish()
        if isinstance(result[0], Exception):
            raise result[0]
        rate, p99, errors = result[0]
        return Run(rate, p99, errors, _per_10k(cpu, rate, seconds), noise, load_idle,
                   self.clock.paints / elapsed, self.clock.longest_gap * 1000, gui_cpu / elapsed)

    def close(self) -> None:
        self.graph.stop()
        print(f"  GUI: {self.window.log_view.summary.text()}", file=sys.stderr)
        self.window.document.undo_stack.setClean()
        self.window.host.stop_blocking()  # else closing asks whether to stop the proxy
        self.window.close()
        self.app.processEvents()


# ------------------------------------------------------------------ the headless side


def headless_run(process: subprocess.Popen[bytes], port: int, seconds: float) -> Run:
    meter = _Meter(process.pid, (os.getpid(),))
    with _normal_priority():
        rate, p99, errors = eb.run_wrk(port, SCENARIO, seconds)
    cpu, noise, load_idle, _elapsed = meter.finish()
    return Run(rate, p99, errors, _per_10k(cpu, rate, seconds), noise, load_idle)


def measure(work: Path, origin_port: int, seconds: float, repeat: int, view: str,
            repaint_ms: int, gui_core: str, gui_nice: int = 0) -> tuple[list[Run], list[Run]]:
    """Every GUI-hosted and headless run, the two alternating so that a disturbance
    of the shared machine hits both sides alike."""
    gui_config, gui_port = eb.http_config(work, origin_port, "gui")
    headless_config, headless_port = eb.http_config(work, origin_port, "headless")
    argv = eb.pinned(eb.PROXY_CORE, [sys.executable, "-m", "proxy.cli", "run", "--quiet",
                                     str(headless_config)])
    with eb.started(argv, headless_port, work / "headless.log") as process:
        gui = GuiSide(gui_config, work, view, repaint_ms, gui_core, gui_nice)
        try:
            gui.run(gui_port, 1, process.pid)  # warm-ups: pools, health checks
            headless_run(process, headless_port, 1)
            gui_runs, headless_runs = [], []
            for number in range(1, repeat + 1):
                print(f"run {number}/{repeat}: GUI-hosted, then headless ...", file=sys.stderr, flush=True)
                gui_runs.append(gui.run(gui_port, seconds, process.pid))
                headless_runs.append(headless_run(process, headless_port, seconds))
        finally:
            gui.close()
    return gui_runs, headless_runs


# ------------------------------------------------------------------ display


@contextlib.contextmanager
def xvfb_display() -> Iterator[str]:
    """A private Xvfb server on core 0; yields its DISPLAY."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise SystemExit("Xvfb is not installed (apt-get install -y xvfb)")
    number = next(n for n in range(99, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    process = subprocess.Popen(eb.pinned(eb.LOAD_CORE, [binary, f":{number}", "-screen", "0", "1920x1080x24",
                                                        "-nolisten", "tcp"]),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        yield f":{number}"
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------ main


def _best(runs: list[Run]) -> Run:
    return max(runs, key=lambda r: r.rate)


def _spread(runs: list[Run]) -> str:
    rates = ", ".join(f"{r.rate:,.0f}" for r in runs)
    p99s = ", ".join(f"{r.p99_ms:.2f}" for r in runs)
    cpu = ", ".join(f"{r.cpu_per_10k:.3f}" for r in runs)
    return f"req/s {rates}; p99 ms {p99s}; CPU s per 10k {cpu}"


def _median_ratio(gui_runs: list[Run], headless_runs: list[Run], key: Callable[[Run], float]) -> float:
    """The median of the per-pair ratios: run i of each side ran back to back."""
    return statistics.median(key(g) / key(h) for g, h in zip(gui_runs, headless_runs, strict=True))


def report(gui_runs: list[Run], headless_runs: list[Run], seconds: float, repeat: int,
           platform: str, view: str, repaint_ms: int, gui_core: str, gui_nice: int = 0) -> str:
    gui, headless = _best(gui_runs), _best(headless_runs)
    ratio = gui.rate / headless.rate if headless.rate else float("nan")
    p99_ratio = gui.p99_ms / headless.p99_ms if headless.p99_ms else float("nan")

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    def row(name: str, run: Run, gui_columns: str) -> str:
        return (f"| {name} | {run.rate:,.0f} | {run.p99_ms:.2f} | {run.cpu_per_10k:.3f} | {run.errors} | "
                f"{run.noise:.0%} | {run.load_idle:.0%} | {gui_columns} |")

    load = Path("/proc/loadavg").read_text().split()[0]
    return "\n".join([
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, Qt platform: {platform}, "
        f"wrk -c{SCENARIO.connections} keep-alive on the tutorial config, best of {repeat} x "
        f"{max(1, round(seconds))} s per side (alternating), engine process / headless engine on "
        f"core {eb.PROXY_CORE}, wrk + origin on core {eb.LOAD_CORE}, the app's window on core "
        f"{gui_core}{f' at nice {gui_nice}' if gui_nice else ''}, load average after: {load}; "
        f"window on the {view.capitalize()} tab, forced "
        f"repaint every {repaint_ms} ms",
        "",
        "| engine | req/s | p99 ms | CPU s per 10k req | errors | other load on core 1 "
        f"| core {eb.LOAD_CORE} idle | window repaints/s | longest paint gap ms | app process CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        row("GUI-hosted (engine process, window open)", gui,
            f"{gui.repaints:.1f} | {gui.longest_gap_ms:.0f} | {gui.gui_cpu:.0%}"),
        row("headless (`proxydesk run --quiet`)", headless, " | | "),
        "",
        f"every run: GUI-hosted {_spread(gui_runs)}; headless {_spread(headless_runs)}",
        "",
        f"median of the back-to-back pairs: req/s {_median_ratio(gui_runs, headless_runs, lambda r: r.rate):.2f}x, "
        f"p99 {_median_ratio(gui_runs, headless_runs, lambda r: r.p99_ms):.2f}x, CPU per request "
        f"{_median_ratio(gui_runs, headless_runs, lambda r: r.cpu_per_10k):.2f}x",
        "",
        f"GUI-hosted / headless (best runs): {ratio:.2f}x req/s (target >= {TARGET_RATIO}: "
        f"{verdict(ratio >= TARGET_RATIO)}), p99 {p99_ratio:.2f}x (target <= {TARGET_P99_RATIO}: "
        f"{verdict(p99_ratio <= TARGET_P99_RATIO)}); repaints: {gui.repaints:.1f}/s (target >= "
        f"{TARGET_REPAINTS:.0f}: {verdict(gui.repaints >= TARGET_REPAINTS)})",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run (default 5)")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per side; the best counts")
    parser.add_argument("--xvfb", action="store_true", help="paint into a real X11 window on a private Xvfb")
    parser.add_argument("--view", choices=("traffic", "requests"), default="traffic",
                        help="the tab shown while loaded: the live graphs (default) or the request log")
    parser.add_argument("--repaint-ms", type=int, default=REPAINT_MS,
                        help=f"force a repaint of that tab this often (default {REPAINT_MS}: 50/s)")
    parser.add_argument("--gui-core", choices=("load", "proxy"), default="load",
                        help="the window's core: with wrk and the origin (default), or with the engine")
    parser.add_argument("--gui-nice", type=int, default=0,
                        help="run the window at this niceness (the engine process stays at 0): "
                             "with --gui-core load, so that it does not starve the load generator")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="proxydesk-gui-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        if args.xvfb:
            os.environ["DISPLAY"] = stack.enter_context(xvfb_display())
            os.environ["QT_QPA_PLATFORM"] = "xcb"
        else:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        origin = eb.origins(work)["small"]
        stack.enter_context(eb.started(eb.pinned(eb.LOAD_CORE, origin.argv), origin.port, work / "origin.log"))
        gui_core = eb.LOAD_CORE if args.gui_core == "load" else eb.PROXY_CORE
        gui, headless = measure(work, origin.port, args.duration, args.repeat, args.view,
                                args.repaint_ms, gui_core, args.gui_nice)
        print(report(gui, headless, args.duration, args.repeat, os.environ["QT_QPA_PLATFORM"],
                     args.view, args.repaint_ms, gui_core, args.gui_nice))


if __name__ == "__main__":
    main()
