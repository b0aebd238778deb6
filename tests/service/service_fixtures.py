"""A real planning service for the tests: ``python -m service`` in a subprocess on a free
loopback port, driven with httpx."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "office.toml"
TOKEN = "test-token-0123456789abcdef"
WORK_SITES = ("S-01", "S-02", "S-03", "S-04")  # the scenario's dead spots and bin
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """One service process; ``url`` is its base address."""

    db: Path
    log: Path
    args: list[str]
    token: str | None
    scenario: Path = SCENARIO
    port: int = 0
    proc: subprocess.Popen | None = None
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "SANITATION_ROUTES_TOKEN"}
        if self.token is not None:
            env["SANITATION_ROUTES_TOKEN"] = self.token
        cmd = [sys.executable, "-m", "service", "--port", str(self.port), "--db", str(self.db),
               "--scenario", str(self.scenario), "--tiles", "none", *self.args]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the service exited with {self.proc.returncode}:\n"
                                     f"{self.tail()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the service did not answer within {START_TIMEOUT_S} s:\n"
                             f"{self.tail()}")

    def client(self, token: str | None = "default") -> httpx.Client:
        """A client; ``token="default"`` sends the server's token, ``None`` none."""
        token = self.token if token == "default" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c = httpx.Client(base_url=self.url, headers=headers, timeout=30.0)
        self.clients.append(c)
        return c

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: no shutdown at all (a crash, an OOM kill, a pulled plug)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        self.clients.clear()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def short_scenario(tmp: Path, *, time_limit_s: float) -> Path:
    """The office scenario with another solver time limit (the console plans with it)."""
    text = SCENARIO.read_text()
    text = text.replace('"office_sites.csv"', f'"{(DATA / "office_sites.csv").as_posix()}"')
    text = text.replace("time_limit_s = 20", f"time_limit_s = {time_limit_s}")
    path = tmp / "office-short.toml"
    path.write_text(text)
    return path


def start_server(tmp: Path, *, token: str | None = TOKEN, args: tuple[str, ...] = (),
                 db: Path | None = None, scenario: Path = SCENARIO) -> Server:
    tmp.mkdir(parents=True, exist_ok=True)
    return Server(db=db or tmp / "office.db", log=tmp / "service.log", args=list(args),
                  token=token, scenario=scenario).start()


def wait_plan(client: httpx.Client, plan_id: str, *, until=("done", "failed"),
              timeout: float = 90.0, check=None) -> dict:
    """Poll a plan until its status is in ``until``; ``check(plan)`` may stop early."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/v1/plans/{plan_id}")
        assert r.status_code == 200, r.text
        plan = r.json()
        if plan["status"] in until or (check is not None and check(plan)):
            return plan
        time.sleep(0.2)
    raise AssertionError(f"plan {plan_id} still {plan['status']} after {timeout} s: {plan}")


def report(client: httpx.Client, **fields) -> httpx.Response:
    body = {"lon": 24.9452, "lat": 60.1688, "tonnes": 2.5, **fields}
    return client.post("/v1/sites", json=body)
