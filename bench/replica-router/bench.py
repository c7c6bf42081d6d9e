#!/usr/bin/env python3
"""Replica router benchmark driver (run through run.sh).

Starts a PostgreSQL primary and two streaming replicas with the AppHost's postgres.sh, then the replica
router, HAProxy (tcp mode, leastconn, pgsql-check over both replicas) and pgbouncer (session mode, one
replica), all on loopback ports chosen here. Runs pgbench -S against each target, interleaved, with
persistent connections and with -C, recording TPS, latency and the CPU each process used. Then kills a
replica under a connect-per-read load through the router and through HAProxy and reports failed reads
over time. Everything started here is stopped at the end, also on error or Ctrl-C.
"""
import argparse
import json
import glob
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import psycopg2

CLK_TCK = os.sysconf("SC_CLK_TCK")
IS_ROOT = os.geteuid() == 0
AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] if IS_ROOT else []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, probe, timeout=60, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except Exception as e:  # the probe's failure is the thing being waited out
            last = e
        time.sleep(interval)
    raise SystemExit(f"bench: {what} not within {timeout} s ({last})")


def cpu_seconds(pid):
    """CPU of a process, its reaped children and its live children (a postmaster and its backends)."""
    def stat(p):
        with open(f"/proc/{p}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), [int(x) for x in fields[11:15]]

    try:
        _, (ut, st, cut, cst) = stat(pid)
    except FileNotFoundError:
        return 0.0
    total = ut + st + cut + cst
    for path in glob.glob("/proc/[0-9]*/stat"):
        p = int(path.split("/")[2])
        try:
            ppid, (cut_, cst_, _, _) = stat(p)
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if ppid == pid:
            total += cut_ + cst_
    return total / CLK_TCK


class Service:
    """A process this run started; stopped (SIGTERM, then SIGKILL) at the end."""

    def __init__(self, name, args, env=None, log_dir=None):
        self.name = name
        log = open(os.path.join(log_dir, f"{name}.log"), "ab") if log_dir else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Bench:
    def __init__(self, args):
        self.args = args
        self.password = secrets.token_hex(16)
        self.work = tempfile.mkdtemp(prefix="odooaspire-bench-")
        os.chmod(self.work, 0o755)
        self.services = []
        self.pgbin = args.pgbin or sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))[-1]
        self.ports = {}

    # ---- processes -------------------------------------------------------------------------------------
    def start(self, name, args, env=None):
        service = Service(name, args, env, self.work)
        self.services.append(service)
        return service

    def postgres(self, name, role, extra_env):
        port = self.ports.setdefault(name, free_port())
        env = {"PGBIN": self.pgbin, "PGDATA": os.path.join(self.work, name), "PGPORT": str(port),
               "REPLICATION_PASSWORD": self.password, **extra_env}
        service = self.start(name, ["/bin/bash", self.args.postgres_script, role], env)
        wait_until(f"{name} accepting queries", lambda: self.query(port, "SELECT 1") == 1, timeout=120)
        return service

    def start_cluster(self):
        self.primary = self.postgres("pg-primary", "primary", {"POSTGRES_PASSWORD": self.password,
                                                               "REPLICA_SLOTS": "pg_replica_1 pg_replica_2"})
        self.replicas = {}
        for i in (1, 2):
            name = f"pg-replica-{i}"
            self.replicas[name] = self.start_replica(name, i)
        env = {**os.environ, "PGPASSWORD": self.password}
        subprocess.run(["pgbench", "-i", "-q", "-s", str(self.args.scale), "-h", "127.0.0.1", "-p", str(self.ports["pg-primary"]),
                        "-U", "postgres", "postgres"], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_caught_up()

    def start_replica(self, name, ordinal):
        return self.postgres(name, "replica", {"PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": str(self.ports["pg-primary"]),
                                               "REPLICATION_SLOT": f"pg_replica_{ordinal}", "REPLICA_NAME": name})

    def wait_caught_up(self):
        target = self.query(self.ports["pg-primary"], "SELECT pg_current_wal_lsn()::text")
        for name in self.replicas:
            wait_until(f"{name} replaying {target}", lambda n=name: self.query(
                self.ports[n], f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"), timeout=120)

    def kill_replica(self, name):
        """Immediate shutdown (SIGQUIT to the postmaster): the server is gone at once, like a crash."""
        with open(os.path.join(self.work, name, "postmaster.pid")) as f:
            os.kill(int(f.readline()), signal.SIGQUIT)
        self.replicas[name].proc.wait(30)
        self.services.remove(self.replicas[name])

    def conninfo(self, port):
        return dict(host="127.0.0.1", port=port, user="postgres", password=self.password, dbname="postgres",
                    sslmode="disable", gssencmode="disable", connect_timeout=10)

    def query(self, port, sql):
        with psycopg2.connect(**self.conninfo(port)) as conn, conn.cursor() as cur:
            cur.execute(sql)
            value = cur.fetchone()[0]
        conn.close()
        return value

    def start_router(self, name="router", replicas=("pg-replica-1", "pg-replica-2"), relay="Auto"):
        """The router as the AppHost starts it; relay=Auto takes the kernel relay where the kernel allows it."""
        port, http = free_port(), free_port()
        self.ports[name] = port
        cs = lambda n: f"Host=127.0.0.1;Port={self.ports[n]};Username=postgres;Password={self.password}"
        env = {
            "ReplicaRouter__ListenPort": str(port),
            "ReplicaRouter__Primary": "pg-primary",
            "ReplicaRouter__Relay": relay,
            "ConnectionStrings__pg-primary": cs("pg-primary"),
            **{f"ReplicaRouter__Replicas__{i}": r for i, r in enumerate(replicas)},
            **{f"ConnectionStrings__{r}": cs(r) for r in replicas},
            "ASPNETCORE_URLS": f"http://127.0.0.1:{http}",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "",
            # As the AppHost starts it (ReplicaRouterBuilderExtensions).
            "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS": "1",
            "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT": "1",
        }
        service = self.start(name, ["dotnet", self.args.router], env)
        wait_until(f"{name} healthy", lambda: urllib.request.urlopen(f"http://127.0.0.1:{http}/health", timeout=2).status == 200)
        status = json.load(urllib.request.urlopen(f"http://127.0.0.1:{http}/status", timeout=2))
        print(f"{name}: relay {status['relay']}" + (f" ({status['kernelRelayUnavailable']})" if status.get("kernelRelayUnavailable") else ""), flush=True)
        return service

    def start_haproxy(self, name="haproxy", replicas=("pg-replica-1", "pg-replica-2")):
        port = free_port()
        self.ports[name] = port
        servers = "\n".join(f"  server {n} 127.0.0.1:{self.ports[n]} check" for n in replicas)
        cfg = os.path.join(self.work, f"{name}.cfg")
        with open(cfg, "w") as f:
            f.write(f"""global
  maxconn 2000
defaults
  mode tcp
  timeout connect 3s
  timeout client 1h
  timeout server 1h
listen replicas
  bind 127.0.0.1:{port}
  balance leastconn
  option pgsql-check user postgres
  default-server inter 500 fall 1 rise 3 on-marked-down shutdown-sessions
{servers}
""")
        service = self.start(name, ["haproxy", "-db", "-f", cfg])
        wait_until(f"{name} listening", lambda: socket.create_connection(("127.0.0.1", port), 1).close() is None)
        return service

    def start_pgbouncer(self):
        port = free_port()
        self.ports["pgbouncer"] = port
        userlist = os.path.join(self.work, "userlist.txt")
        ini = os.path.join(self.work, "pgbouncer.ini")
        with open(userlist, "w") as f:
            f.write(f'"postgres" "{self.password}"\n')
        with open(ini, "w") as f:
            f.write(f"""[databases]
* = host=127.0.0.1 port={self.ports['pg-replica-1']}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {userlist}
pool_mode = session
max_client_conn = 500
default_pool_size = 40
""")
        os.chmod(userlist, 0o600)
        if IS_ROOT:
            shutil.chown(userlist, "postgres", "postgres")
            shutil.chown(ini, "postgres", "postgres")
        self.pgbouncer = self.start("pgbouncer", AS_POSTGRES + ["pgbouncer", ini])
        wait_until("pgbouncer serving", lambda: self.query(port, "SELECT 1") == 1)

    def stop_all(self):
        for service in reversed(self.services):
            service.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    # ---- throughput -------------------------------------------------------------------------------------
    def pgbench(self, port, seconds, connect_each):
        """One pgbench run; a tuple of ports splits the clients over them, one pgbench each, run side by side."""
        ports = port if isinstance(port, tuple) else (port,)
        clients, jobs = self.args.clients // len(ports), max(1, 2 // len(ports))
        env = {**os.environ, "PGPASSWORD": self.password, "PGSSLMODE": "disable", "PGGSSENCMODE": "disable"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs = [subprocess.Popen(["pgbench", "-h", "127.0.0.1", "-p", str(p), "-U", "postgres", "-S", "-n", "-c", str(clients),
                                  "-j", str(jobs), "-T", str(seconds)] + (["-C"] if connect_each else []) + ["postgres"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in ports]
        outs = [(r.communicate(), r.returncode) for r in runs]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        tps, latency, failed = 0.0, [], 0
        for ((stdout, stderr), code), p in zip(outs, ports):
            if code != 0:
                raise SystemExit(f"bench: pgbench on port {p} failed: {stderr.strip()}")
            tps += float(re.search(r"tps = ([\d.]+)", stdout).group(1))
            latency.append(float(re.search(r"latency average = ([\d.]+) ms", stdout).group(1)))
            found = re.search(r"number of failed transactions: (\d+)", stdout)
            failed += int(found.group(1)) if found else 0
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        return tps, statistics.mean(latency), cpu, failed

    def throughput(self):
        # Both replicas share this machine's cores, so spreading sessions over them costs CPU-cache locality a
        # real deployment (replicas on their own hosts) does not pay, proxy or not. "direct, split over both replicas" splits the
        # clients over them without a proxy: the baseline for the rows over both; the "pg-replica-1 only" rows compare
        # the relays on the single server that "direct" and pgbouncer use.
        targets = {
            "direct (pg-replica-1)": (self.ports["pg-replica-1"], None),
            "direct, split over both replicas": ((self.ports["pg-replica-1"], self.ports["pg-replica-2"]), None),
            "replica-router": (self.ports["router"], self.router),
            "replica-router, user-space relay": (self.ports["router-user"], self.router_user),
            "haproxy (tcp)": (self.ports["haproxy"], self.haproxy),
            "replica-router, pg-replica-1 only": (self.ports["router-r1"], self.router_r1),
            "haproxy, pg-replica-1 only": (self.ports["haproxy-r1"], self.haproxy_r1),
            "pgbouncer (session)": (self.ports["pgbouncer"], self.pgbouncer),
        }
        servers = [self.primary, *self.replicas.values()]
        results = {}
        for mode in (False, True):
            for name, (port, _) in targets.items():
                self.try_pgbench(name, port, 2, mode)  # warm-up: JIT, caches, pools
        for rnd in range(self.args.rounds):
            order = list(targets.items())
            order = order[rnd % len(order):] + order[:rnd % len(order)]
            for mode in (False, True):
                for name, (port, proxy) in order:
                    proxy_before = cpu_seconds(proxy.pid) if proxy else 0.0
                    pg_before = sum(cpu_seconds(self.postmaster(s)) for s in servers)
                    run = self.try_pgbench(name, port, self.args.seconds, mode)
                    if run is None:
                        continue
                    tps, latency, bench_cpu, failed = run
                    proxy_cpu = (cpu_seconds(proxy.pid) - proxy_before) if proxy else 0.0
                    pg_cpu = sum(cpu_seconds(self.postmaster(s)) for s in servers) - pg_before
                    results.setdefault((name, mode), []).append((tps, latency, proxy_cpu, bench_cpu, pg_cpu, failed))
                    print(f"  round {rnd + 1} {'-C        ' if mode else 'persistent'} {name:34} {tps:10.0f} tps  {latency:7.3f} ms"
                          f"  proxy cpu {proxy_cpu:5.2f} s  pgbench {bench_cpu:5.2f} s  postgres {pg_cpu:5.2f} s", flush=True)
        return targets, results

    def try_pgbench(self, name, port, seconds, connect_each):
        """A run that pgbench aborts (a proxy closed its sessions, say) is reported and left out, not the end of the bench."""
        try:
            return self.pgbench(port, seconds, connect_each)
        except SystemExit as e:
            print(f"  {name} {'-C' if connect_each else 'persistent'} run left out: {str(e).splitlines()[0]}", flush=True)
            return None

    def postmaster(self, service):
        """The server's postmaster (its backends are its children); the service itself is the postgres.sh wrapper."""
        with open(os.path.join(self.work, service.name, "postmaster.pid")) as f:
            return int(f.readline())

    # ---- replica kill -----------------------------------------------------------------------------------
    def kill_under_load(self, label, port):
        """Connect-per-read load from 8 threads; pg-replica-1 is killed 3 s in. Returns per-attempt records."""
        self.wait_both_used(port)
        records, stop = [], threading.Event()
        info = self.conninfo(port)

        def worker():
            while not stop.is_set():
                started = time.monotonic()
                ok, error = True, ""
                try:
                    conn = psycopg2.connect(**info)
                    with conn.cursor() as cur:
                        cur.execute("SELECT abalance FROM pgbench_accounts WHERE aid = %s", (random.randint(1, 100000 * self.args.scale),))
                        cur.fetchone()
                    conn.close()
                except psycopg2.Error as e:
                    ok, error = False, str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                records.append((started, time.monotonic() - started, ok, error))

        threads = [threading.Thread(target=worker) for _ in range(self.args.clients)]
        for t in threads:
            t.start()
        time.sleep(3)
        k = time.monotonic()
        self.kill_replica("pg-replica-1")
        time.sleep(self.args.kill_seconds)
        stop.set()
        for t in threads:
            t.join()
        self.replicas["pg-replica-1"] = self.start_replica("pg-replica-1", 1)
        self.wait_caught_up()
        after = [(s - k, d, ok, e) for s, d, ok, e in records if s >= k]
        failed = [r for r in after if not r[2]]
        late = [r for r in failed if r[0] > 1.0]
        before = [r for r in records if r[0] < k]
        summary = {
            "label": label,
            "reads_before": len(before),
            "reads_after": len(after),
            "failed_after": len(failed),
            "failed_after_1s": len(late),
            "last_failure_s": max((r[0] for r in failed), default=None),
            "slowest_failure_s": max((r[1] for r in failed), default=None),
            "slowest_read_after_s": max((r[1] for r in after), default=None),
            "errors": sorted({r[3] for r in failed})[:3],
        }
        return summary

    def wait_both_used(self, port):
        wanted = {self.ports["pg-replica-1"], self.ports["pg-replica-2"]}
        wait_until(f"both replicas behind port {port} in use",
                   lambda: {self.query(port, "SELECT current_setting('port')::int") for _ in range(8)} == wanted, timeout=60, interval=0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--router", required=True, help="OdooAspire.ReplicaRouter.dll (Release)")
    parser.add_argument("--postgres-script", required=True, help="the AppHost's scripts/postgres/postgres.sh")
    parser.add_argument("--pgbin", help="PostgreSQL bin directory (default: newest /usr/lib/postgresql/*/bin)")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", 8)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 2)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 8)))
    parser.add_argument("--scale", type=int, default=int(os.environ.get("BENCH_SCALE", 5)))
    parser.add_argument("--kill-seconds", type=int, default=6)
    args = parser.parse_args()

    bench = Bench(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print(f"bench: {os.cpu_count()} cores; pgbench -S -c {args.clients} -j 2, {args.seconds} s per run, {args.rounds} rounds, scale {args.scale}", flush=True)
        bench.start_cluster()
        bench.router = bench.start_router()
        bench.router_user = bench.start_router("router-user", relay="UserSpace")
        bench.router_r1 = bench.start_router("router-r1", replicas=("pg-replica-1",))
        bench.haproxy = bench.start_haproxy()
        bench.haproxy_r1 = bench.start_haproxy("haproxy-r1", replicas=("pg-replica-1",))
        bench.start_pgbouncer()
        targets, results = bench.throughput()

        # "× same servers direct": against pgbench straight to the servers the target uses, one or both replicas.
        one_server = {"direct (pg-replica-1)", "pgbouncer (session)"} | {n for n in targets if n.endswith("pg-replica-1 only")}
        print("\n| target | connections | TPS (median) | × direct | × same servers direct | latency avg (ms) | proxy CPU (s/run) | proxy CPU per 1k tx (ms) | pgbench CPU (s/run) | postgres CPU (s/run) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for mode in (False, True):
            direct = statistics.median(r[0] for r in results[("direct (pg-replica-1)", mode)])
            split = statistics.median(r[0] for r in results[("direct, split over both replicas", mode)])
            for name in targets:
                rows = results.get((name, mode))
                if not rows:
                    print(f"| {name} | {'new per tx (-C)' if mode else 'persistent'} | every run failed |||||||||")
                    continue
                tps = statistics.median(r[0] for r in rows)
                lat = statistics.median(r[1] for r in rows)
                proxy = statistics.mean(r[2] for r in rows)
                per_k = proxy / (tps * args.seconds) * 1e6 if proxy else 0
                same = tps / (direct if name in one_server else split)
                print(f"| {name} | {'new per tx (-C)' if mode else 'persistent'} | {tps:.0f} | {tps / direct:.2f} | {same:.2f} | {lat:.3f} | "
                      f"{proxy:.2f} | {per_k:.3f} | {statistics.mean(r[3] for r in rows):.2f} | {statistics.mean(r[4] for r in rows):.2f} |")

        # libpq prints the killed server's notices itself: run both first, then print the table in one piece.
        kills = [bench.kill_under_load(label, port)
                 for label, port in (("replica-router", bench.ports["router"]), ("haproxy (tcp)", bench.ports["haproxy"]))]
        print("\nReplica kill under load (connect + one read + close, "
              f"{args.clients} threads; pg-replica-1 immediate-shutdown 3 s in, {args.kill_seconds} s observed after):")
        print("| through | reads after kill | failed | failed > 1 s after kill | last failure (s after kill) | slowest failed attempt (s) | slowest read after kill (s) |")
        print("|---|---|---|---|---|---|---|")
        for s in kills:
            label = s["label"]
            fmt = lambda v: "-" if v is None else f"{v:.2f}"
            print(f"| {label} | {s['reads_after']} | {s['failed_after']} | {s['failed_after_1s']} | {fmt(s['last_failure_s'])} | "
                  f"{fmt(s['slowest_failure_s'])} | {fmt(s['slowest_read_after_s'])} |", flush=True)
            if s["errors"]:
                print(f"|   errors: {'; '.join(s['errors'])} |||||||")
    finally:
        bench.stop_all()


if __name__ == "__main__":
    main()
