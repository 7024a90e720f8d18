"""The stack's Apache Kafka broker: one KRaft node that is broker and controller.

The official broker jars are resolved from Maven Central with Maven (the
``deploy/local/kafka/pom.xml`` packaging pom) into ``.stack/kafka/libs`` once,
the storage is formatted once, and the broker runs on the JVM straight from
those jars: no distribution tarball, no Docker.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from sawt_stack.config import HOST, StackConfig
from sawt_stack.paths import StackPaths
from sawt_stack.ports import PortBusy, port_answers, wait_port_free
from sawt_stack.processes import is_alive, owned_pid, spawn, stop_pid, tail

__all__ = ["Kafka", "KafkaError", "render_log4j2", "render_server_properties"]

#: The marker written into the libs folder once Maven has copied every jar.
RESOLVED_MARKER = ".resolved"


class KafkaError(RuntimeError):
    """Kafka could not be prepared, started or reached; the message says why."""


def render_server_properties(config: StackConfig, data_dir: Path) -> str:
    """``server.properties`` of a single combined broker and controller."""
    return f"""\
# Written by the Sawt stack manager on every start; change deploy/local instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{HOST}:{config.controller_port}
listeners=PLAINTEXT://{HOST}:{config.kafka_port},CONTROLLER://{HOST}:{config.controller_port}
advertised.listeners=PLAINTEXT://{HOST}:{config.kafka_port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={data_dir}
num.partitions=12
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
"""


def render_log4j2() -> str:
    """Warnings and errors to standard output (the stack sends it to ``kafka.log``)."""
    return """\
# Written by the Sawt stack manager.
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
# One line when the server is up, so the log shows each start.
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
"""


class Kafka:
    """Resolve, format, start, probe and stop the broker."""

    def __init__(self, paths: StackPaths, config: StackConfig) -> None:
        self.paths = paths
        self.config = config
        self.server_properties = paths.kafka_config / "server.properties"
        self.log4j2 = paths.kafka_config / "log4j2.properties"
        self.log = paths.log("kafka")
        self.pid_file = paths.pid_file("kafka")

    # -- tools -------------------------------------------------------------------

    @staticmethod
    def java() -> str:
        home = os.environ.get("JAVA_HOME")
        if home and (Path(home) / "bin" / "java").is_file():
            return str(Path(home) / "bin" / "java")
        found = shutil.which("java")
        if found is None:
            raise KafkaError("java is not installed; install openjdk-17-jre-headless")
        return found

    @property
    def classpath(self) -> str:
        return f"{self.paths.kafka_libs}/*"

    def _pom_digest(self) -> str:
        return hashlib.sha256(self.paths.kafka_pom.read_bytes()).hexdigest()

    # -- jars --------------------------------------------------------------------

    def libs_resolved(self) -> bool:
        marker = self.paths.kafka_libs / RESOLVED_MARKER
        try:
            return marker.read_text().strip() == self._pom_digest()
        except OSError:
            return False

    def resolve_libs(self) -> bool:
        """Copy the broker's jars with Maven unless done for this pom; whether it ran."""
        if self.libs_resolved():
            return False
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaError("Maven is not installed; install the 'maven' package")
        libs = self.paths.kafka_libs
        if libs.exists():
            shutil.rmtree(libs)  # the pom changed, or an earlier copy was interrupted
        libs.mkdir(parents=True)
        _tool(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(self.paths.kafka_pom),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={libs}",
                "-DincludeScope=runtime",
            ],
            "Maven could not fetch the Kafka jars",
        )
        (libs / RESOLVED_MARKER).write_text(self._pom_digest() + "\n")
        return True

    # -- storage -----------------------------------------------------------------

    def write_config(self) -> None:
        self.paths.kafka_config.mkdir(parents=True, exist_ok=True)
        self.paths.kafka_data.mkdir(parents=True, exist_ok=True)
        self.server_properties.write_text(
            render_server_properties(self.config, self.paths.kafka_data)
        )
        self.log4j2.write_text(render_log4j2())

    def formatted(self) -> bool:
        return (self.paths.kafka_data / "meta.properties").is_file()

    def _storage_tool(self, *args: str) -> str:
        return _tool(
            [
                self.java(),
                f"-Dlog4j2.configurationFile={self.log4j2}",
                "-cp",
                self.classpath,
                "kafka.tools.StorageTool",
                *args,
            ],
            f"kafka-storage {' '.join(args)} failed",
        )

    def format_storage(self) -> bool:
        """Format the KRaft storage with a new cluster id unless done; whether it ran."""
        if self.formatted():
            return False
        lines = self._storage_tool("random-uuid").split()
        if not lines:
            raise KafkaError("kafka-storage random-uuid printed nothing")
        self._storage_tool("format", "-t", lines[-1], "-c", str(self.server_properties))
        return True

    # -- process -----------------------------------------------------------------

    def running_pid(self) -> int | None:
        return owned_pid(self.pid_file, ["kafka.Kafka", str(self.server_properties)])

    def start(self, *, deadline: float = 60.0) -> None:
        """Resolve, format and start the broker, then wait until it answers metadata."""
        if self.running_pid() is not None:
            asyncio.run(self.wait_ready(deadline=deadline, pid=None))
            return
        try:
            wait_port_free(
                (self.config.kafka_port, self.config.controller_port),
                env_var="SAWT_KAFKA_PORT (the controller uses the next port)",
            )
        except PortBusy as exc:
            raise KafkaError(str(exc)) from None
        self.resolve_libs()
        self.write_config()
        self.format_storage()
        proc = spawn(
            [
                self.java(),
                "-Xms256m",
                "-Xmx512m",
                "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self.log4j2}",
                "-cp",
                self.classpath,
                "kafka.Kafka",
                str(self.server_properties),
            ],
            log=self.log,
            pid_file=self.pid_file,
            cwd=self.paths.kafka,
        )
        try:
            asyncio.run(self.wait_ready(deadline=deadline, pid=proc.pid))
        except BaseException:
            stop_pid(proc.pid, timeout=10)
            self.pid_file.unlink(missing_ok=True)
            raise

    async def wait_ready(self, *, deadline: float, pid: int | None) -> None:
        """Wait until the broker answers a metadata request (not just a TCP connect)."""
        until = time.monotonic() + deadline
        last_error = "no answer"
        quiet = logging.getLogger("aiokafka")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)  # refused connections while it boots are expected
        try:
            while time.monotonic() < until:
                if pid is not None and not is_alive(pid):
                    raise KafkaError(f"Kafka exited while starting:\n{tail(self.log)}")
                if port_answers(self.config.kafka_port):
                    try:
                        await asyncio.wait_for(self._list_topics(), timeout=10)
                        return
                    except Exception as exc:  # the broker is not ready yet; say why at the end
                        last_error = f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(0.5)
        finally:
            quiet.setLevel(level)
        raise KafkaError(
            f"Kafka did not answer on {self.config.kafka_bootstrap} within {deadline:.0f} s "
            f"({last_error}):\n{tail(self.log)}"
        )

    async def _list_topics(self) -> list[str]:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.config.kafka_bootstrap, request_timeout_ms=5000
        )
        await admin.start()
        try:
            topics: list[str] = await admin.list_topics()
            return topics
        finally:
            with contextlib.suppress(Exception):
                await admin.close()

    def stop(self, *, timeout: float = 20.0) -> bool:
        """SIGTERM (a controlled shutdown), SIGKILL after ``timeout``; whether it ran."""
        pid = self.running_pid()
        if pid is not None:
            stop_pid(pid, timeout=timeout)
        self.pid_file.unlink(missing_ok=True)
        return pid is not None


def _tool(argv: list[str], failure: str) -> str:
    """Run a command line tool to its end; its output, or :class:`KafkaError` with it."""
    result = subprocess.run(
        argv, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise KafkaError(f"{failure}:\n{result.stdout}{result.stderr}")
    return result.stdout
