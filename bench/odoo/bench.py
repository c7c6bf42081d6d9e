#!/usr/bin/env python3
"""Odoo cluster benchmark: what a user of three nodes notices, timed.

Usage: bash bench/odoo/run.sh [rounds]    (default 10; ODOOASPIRE_ODOO_SOURCE=<odoo 18 tree> for real Odoo)

Starts the AppHost on the process runtime, reads each node's ports from the odoo.conf the AppHost rendered
for it, and measures, over the rounds:
  login            /web/session/authenticate (Odoo hashes passwords slowly on purpose)
  session elsewhere get_session_info on another node with the same session_id cookie
  partner replica  create on odoo-1 until search_read on odoo-2 (replica path) returns it
  bus              update_bus_presence on odoo-1 until a websocket on odoo-3 receives im_status_updated
  node killed      SIGKILL odoo-1's process, then the same session's first answer from odoo-2
"""
import base64
import glob
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time

TIMEOUT_S = 600
NODES = ["odoo-1", "odoo-2", "odoo-3"]
PASSWORD = secrets.token_hex(12)


def read_conf(path):
    values = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


class Node:
    def __init__(self, conf):
        self.http_port = int(conf["http_port"])
        self.gevent_port = int(conf["gevent_port"])

    def call(self, path, params, sid=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if sid:
            headers["Cookie"] = f"session_id={sid}"
        connection.request("POST", path, json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}), headers)
        response = connection.getresponse()
        body = json.loads(response.read())
        cookie = response.getheader("Set-Cookie") or ""
        connection.close()
        if "error" in body:
            raise RuntimeError(f"{path}: {body['error']['data']['name']}: {body['error']['data']['message']}")
        new_sid = cookie.split(";")[0].split("=", 1)[1] if cookie.startswith("session_id=") else sid
        return body.get("result"), new_sid

    def healthy(self):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=2)
            connection.request("GET", "/web/health")
            ok = connection.getresponse().status == 200
            connection.close()
            return ok
        except OSError:
            return False


class WebSocket:
    """Just enough RFC 6455 for Odoo's bus: a masked text frame out, unmasked text frames in."""

    def __init__(self, port, sid):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n"
                           f"Cookie: session_id={sid}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"websocket refused: {head.split(chr(13).encode())[0]!r}")

    def send(self, message):
        data = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + len(data).to_bytes(2, "big"))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("websocket closed")
            data += chunk
        return data

    def receive(self):
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self._read(2), "big")
        elif length == 127:
            length = int.from_bytes(self._read(8), "big")
        payload = self._read(length)
        if first & 0x0F == 0x8:
            raise RuntimeError(f"websocket closed by the server: {payload!r}")
        return json.loads(payload)

    def close(self):
        self.sock.close()


def percentiles(name, samples):
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    print(f"{name:18s} p50 {statistics.median(samples) * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms   max {samples[-1] * 1000:8.1f} ms   (n={len(samples)})", flush=True)


def wait_until(condition, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise SystemExit(f"{what}: not within {seconds} s")


def node_pid(conf_path):
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().decode(errors="replace")
            except OSError:
                continue
            # The server itself, not the bash or dotnet-run launcher in front of it.
            if f"--config={conf_path}" in cmd and not cmd.startswith(("/bin/bash", "dotnet\0run")):
                return int(pid)
    raise SystemExit(f"no process runs {conf_path}")


def measure(rounds, nodes, confs):
    node1, node2, node3 = (nodes[n] for n in NODES)
    logins, elsewhere, replica, bus = [], [], [], []
    for i in range(rounds):
        start = time.monotonic()
        _, sid = nodes[NODES[i % 3]].call("/web/session/authenticate", {"db": "odoo", "login": "admin", "password": PASSWORD})
        logins.append(time.monotonic() - start)

        start = time.monotonic()
        info, _ = nodes[NODES[(i + 1) % 3]].call("/web/session/get_session_info", {}, sid)
        elsewhere.append(time.monotonic() - start)
        assert info["uid"] == 2

        name = f"bench-{secrets.token_hex(8)}"
        node1.call("/web/dataset/call_kw", {"model": "res.partner", "method": "create", "args": [{"name": name}], "kwargs": {}}, sid)
        start = time.monotonic()
        while not node2.call("/web/dataset/call_kw", {"model": "res.partner", "method": "search_read",
                                                        "args": [[["name", "=", name]]], "kwargs": {"fields": ["id"]}}, sid)[0]:
            if time.monotonic() - start > 10:
                raise SystemExit("a new partner was not readable through odoo-2 within 10 s")
        replica.append(time.monotonic() - start)

    _, listener = node3.call("/web/session/authenticate", {"db": "odoo", "login": "admin", "password": PASSWORD})
    _, sender = node1.call("/web/session/authenticate", {"db": "odoo", "login": "admin", "password": PASSWORD})
    node1.call("/websocket/peek_notifications", {"channels": [], "last": 0, "is_first_poll": True}, sender)
    socket_ = WebSocket(node3.gevent_port, listener)
    socket_.send({"event_name": "subscribe", "data": {"channels": ["odoo-presence-res.partner_3"], "last": 0}})
    status = "online"
    for _ in range(rounds):
        status = "away" if status == "online" else "online"
        start = time.monotonic()
        node1.call("/websocket/update_bus_presence", {"inactivity_period": 31 * 60 * 1000 if status == "away" else 0, "im_status_ids_by_model": {}}, sender)
        while True:
            batch = socket_.receive()
            if any(n["message"]["type"] == "bus.bus/im_status_updated" and n["message"]["payload"]["presence_status"] == status for n in batch):
                break
        bus.append(time.monotonic() - start)
    socket_.close()

    percentiles("login", logins)
    percentiles("session elsewhere", elsewhere)
    percentiles("partner replica", replica)
    percentiles("bus across nodes", bus)

    _, sid = node1.call("/web/session/authenticate", {"db": "odoo", "login": "admin", "password": PASSWORD})
    os.kill(node_pid(confs["odoo-1"]), signal.SIGKILL)
    start = time.monotonic()
    info, _ = node2.call("/web/session/get_session_info", {}, sid)
    print(f"{'node killed':18s} odoo-1 SIGKILLed; the same session answered by odoo-2 {(time.monotonic() - start) * 1000:.1f} ms later (uid {info['uid']})")


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    apphost_dll = sys.argv[2]
    args = ["dotnet", apphost_dll, "--OdooAspire:Runtime=Processes", f"--Parameters:odoo-admin-password={PASSWORD}", "--Odoo:Database=odoo"]
    source = os.environ.get("ODOOASPIRE_ODOO_SOURCE")
    if source:
        args.append(f"--Odoo:SourcePath={source}")
    env = dict(os.environ, ASPIRE_ALLOW_UNSECURED_TRANSPORT="true", DcpPublisher__RandomizePorts="true")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd="/tmp")
    started = time.monotonic()
    try:
        root = os.environ.get("OdooAspire__DataRoot", "/tmp/odooaspire")
        confs = {}
        wait_until(lambda: len(confs.update({n: p for n in NODES for p in glob.glob(f"{root}/run-{proc.pid}-*/{n}/odoo.conf")}) or confs) == 3,
                   TIMEOUT_S, "the nodes' odoo.conf")
        nodes = {name: Node(read_conf(path)) for name, path in confs.items()}
        wait_until(lambda: all(node.healthy() for node in nodes.values()), TIMEOUT_S, "three healthy nodes")
        print(f"{'Odoo 18 from ' + source if source else 'Odoo stand-in'}: three nodes healthy {time.monotonic() - started:.1f} s after the AppHost started", flush=True)
        measure(rounds, nodes, confs)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
