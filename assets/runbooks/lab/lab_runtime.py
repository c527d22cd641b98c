"""Process-level runbooks of `warroom lab`, run by the `exec` driver of the
fleet file the lab generates. The executables beside this file each call
`main`:

  restart-node NODE       restart an app node's process (new connections to
                          the active cache and the current database primary)
  restart-site SITE       restart the node that serves SITE now (from the
                          HAProxy map file)
  cache-failover FROM TO  make memcached node TO the active one
  db-failover FROM TO     promote PostgreSQL replica TO with `pg_ctl promote`
                          and make it the primary the nodes connect to
  cache-standby NODE ACTIVE
                          re-establish memcached NODE as the standby of the
                          active node ACTIVE: it must accept connections, and
                          is flushed so that a later failback to it serves no
                          values left from before it went away

  rebuild-replica NODE WRITER
                          rebuild PostgreSQL node NODE as a streaming replica
                          of WRITER (the primary the nodes use): the lab stops
                          it, sets its data directory aside, takes a
                          pg_basebackup of WRITER and starts it as a standby

Python 3 standard library only. Settings come from the environment:

  LAB_DIR           the lab's directory (its control socket run/lab.sock,
                    lab.json, the pointer files cache.active and db.active)
  LAB_PG_BINDIR     PostgreSQL's bin directory (pg_ctl)
  LAB_PG_USER       the user PostgreSQL runs as, when the lab runs as root
  HAPROXY_MAP_FILE  the Host -> backend map (restart-site)
  LAB_TIMEOUT       seconds each step may take; default 30

Exit status: 0 done (one summary line on stdout); 1 refused; 2 bad
arguments or settings; 3 the lab's control socket is missing or dead;
4 timeout. Every failure is one line on stderr.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_SOCKET = 3
EXIT_TIMEOUT = 4

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

USAGE = {
    "restart-node": "restart-node NODE",
    "restart-site": "restart-site SITE",
    "cache-failover": "cache-failover FROM TO",
    "db-failover": "db-failover FROM TO",
    "cache-standby": "cache-standby NODE ACTIVE",
    "rebuild-replica": "rebuild-replica NODE WRITER",
}


class RunbookError(Exception):
    def __init__(self, message, status=EXIT_REFUSED):
        super().__init__(message)
        self.status = status


def printable(text):
    text = " ".join(text.split())
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) for c in text)


def setting(name):
    value = os.environ.get(name, "")
    if not value:
        raise RunbookError("set %s (the lab's fleet file passes it)" % name, EXIT_USAGE)
    return value


def timeout():
    raw = os.environ.get("LAB_TIMEOUT", "30")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise RunbookError("LAB_TIMEOUT=%r is not a number of seconds up to 3600" % raw, EXIT_USAGE)
    return value


def name_arg(kind, value):
    if not NAME.match(value):
        raise RunbookError("%s %r is not a plain name" % (kind, value), EXIT_USAGE)
    return value


def lab_file():
    path = os.path.join(setting("LAB_DIR"), "lab.json")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise RunbookError("%s is missing: is the lab running?" % path, EXIT_SOCKET)
    except ValueError as err:
        raise RunbookError("%s is not JSON: %s" % (path, err))


def address_of(lab, node, kind):
    addr = lab.get("addrs", {}).get(node)
    if addr is None or lab.get("roles", {}).get(node) != kind:
        known = sorted(n for n, r in lab.get("roles", {}).items() if r == kind)
        raise RunbookError("unknown %s node '%s': the lab has %s" % (kind, node, ", ".join(known) or "none"))
    return addr


def control(command):
    """Sends one command to the lab's control socket; returns its answer."""
    path = os.path.join(setting("LAB_DIR"), "run", "lab.sock")
    limit = timeout()
    if not os.path.exists(path):
        raise RunbookError("socket missing: %s does not exist (is the lab running?)" % path, EXIT_SOCKET)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(limit)
    try:
        try:
            conn.connect(path)
            conn.sendall(command.encode() + b"\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except socket.timeout:
            raise RunbookError("timeout: the lab did not answer `%s` within %g s" % (command, limit), EXIT_TIMEOUT)
        except OSError as err:
            raise RunbookError("the lab's control socket %s failed: %s" % (path, err.strerror or err), EXIT_SOCKET)
    finally:
        conn.close()
    answer = answer.decode("utf-8", "replace").strip()
    if answer.startswith("ok "):
        return answer[3:]
    raise RunbookError("the lab refused `%s`: %s" % (command, printable(answer.removeprefix("error ")) or "no answer"))


def write_pointer(path, addr):
    """Rewrites a pointer file atomically (temp file in the same dir, renamed)."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".pointer.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(addr + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def reachable(addr, limit):
    host, _, port = addr.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=min(limit, 2.0)):
            return True
    except OSError:
        return False


def restart_node(args):
    node = name_arg("node", args[0])
    return control("restart %s" % node)


def restart_site(args):
    site = name_arg("site", args[0])
    map_file = setting("HAPROXY_MAP_FILE")
    backend = None
    try:
        with open(map_file, encoding="utf-8") as f:
            for line in f:
                fields = line.split()
                if len(fields) == 2 and fields[0] == site:
                    backend = fields[1]
    except OSError as err:
        raise RunbookError("cannot read the map file %s: %s" % (map_file, err.strerror or err))
    if backend is None:
        raise RunbookError("site '%s' is not in %s" % (site, map_file))
    return "%s: %s" % (site, control("restart %s" % name_arg("node", backend)))


def cache_failover(args):
    was, to = (name_arg("node", a) for a in args)
    lab = lab_file()
    addr = address_of(lab, to, "cache")
    address_of(lab, was, "cache")
    if not reachable(addr, timeout()):
        raise RunbookError("memcached %s (%s) does not accept connections; not switching to it" % (to, addr))
    pointer = os.path.join(setting("LAB_DIR"), "cache.active")
    write_pointer(pointer, addr)
    return "cache: %s is the active node instead of %s (%s)" % (to, was, addr)


def db_failover(args):
    was, to = (name_arg("node", a) for a in args)
    lab = lab_file()
    addr = address_of(lab, to, "db")
    address_of(lab, was, "db")
    data = lab.get("pg_data", {}).get(to)
    if not data:
        raise RunbookError("the lab has no data directory for %s" % to)
    pg_ctl = os.path.join(setting("LAB_PG_BINDIR"), "pg_ctl")
    limit = timeout()
    user = os.environ.get("LAB_PG_USER") or None
    try:
        done = subprocess.run(
            [pg_ctl, "promote", "-D", data, "-w", "-t", str(int(limit))],
            capture_output=True,
            text=True,
            timeout=limit + 5,
            user=user,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise RunbookError("timeout: pg_ctl promote of %s took over %g s" % (to, limit), EXIT_TIMEOUT)
    except OSError as err:
        raise RunbookError("cannot run %s: %s" % (pg_ctl, err.strerror or err), EXIT_USAGE)
    output = printable(done.stdout + " " + done.stderr)
    if done.returncode != 0 and "not in standby mode" not in output:
        raise RunbookError("pg_ctl promote of %s failed: %s" % (to, output))
    note = " (it was already a primary)" if done.returncode != 0 else ""
    pointer = os.path.join(setting("LAB_DIR"), "db.active")
    write_pointer(pointer, addr)
    return "database: %s promoted with pg_ctl promote%s and is the primary instead of %s (%s)" % (to, note, was, addr)


def cache_standby(args):
    node, active = (name_arg("node", a) for a in args)
    lab = lab_file()
    addr = address_of(lab, node, "cache")
    address_of(lab, active, "cache")
    if node == active:
        raise RunbookError("%s is the active cache node; a standby is another node" % node)
    pointer = os.path.join(setting("LAB_DIR"), "cache.active")
    try:
        with open(pointer, encoding="utf-8") as f:
            current = f.read().strip()
    except OSError as err:
        raise RunbookError("cannot read %s: %s" % (pointer, err.strerror or err))
    if current == addr:
        raise RunbookError("%s (%s) is the active cache node now (%s); it cannot stand by" % (node, addr, pointer))
    limit = timeout()
    host, _, port = addr.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=limit) as conn:
            conn.settimeout(limit)
            conn.sendall(b"flush_all\r\n")
            answer = b""
            while not answer.endswith(b"\r\n"):
                chunk = conn.recv(256)
                if not chunk:
                    break
                answer += chunk
    except socket.timeout:
        raise RunbookError("timeout: memcached %s (%s) did not answer within %g s" % (node, addr, limit), EXIT_TIMEOUT)
    except OSError as err:
        raise RunbookError("memcached %s (%s) does not accept connections (%s); it cannot stand by" % (node, addr, err.strerror or err))
    reply = answer.decode("utf-8", "replace").strip()
    if reply != "OK":
        raise RunbookError("memcached %s (%s) answered flush_all with %r" % (node, addr, printable(reply)))
    return "cache: %s (%s) flushed and standing by for %s" % (node, addr, active)


def rebuild_replica(args):
    node, writer = (name_arg("node", a) for a in args)
    lab = lab_file()
    address_of(lab, node, "db")
    writer_addr = address_of(lab, writer, "db")
    if node == writer:
        raise RunbookError("%s is the writer; a replica is another node" % node)
    pointer = os.path.join(setting("LAB_DIR"), "db.active")
    try:
        with open(pointer, encoding="utf-8") as f:
            current = f.read().strip()
    except OSError as err:
        raise RunbookError("cannot read %s: %s" % (pointer, err.strerror or err))
    if current != writer_addr:
        raise RunbookError("%s (%s) is not the primary the nodes use (%s points at %s)" % (writer, writer_addr, pointer, current))
    return "database: %s" % control("rebuild-replica %s %s" % (node, writer))


RUNBOOKS = {
    "restart-node": (1, restart_node),
    "restart-site": (1, restart_site),
    "cache-failover": (2, cache_failover),
    "db-failover": (2, db_failover),
    "cache-standby": (2, cache_standby),
    "rebuild-replica": (2, rebuild_replica),
}


def main(name, args):
    count, run = RUNBOOKS[name]
    try:
        if len(args) != count:
            raise RunbookError("usage: %s" % USAGE[name], EXIT_USAGE)
        print("%s: %s" % (name, run(args)))
        return 0
    except RunbookError as err:
        print("%s: %s" % (name, err), file=sys.stderr)
        return err.status
    except KeyboardInterrupt:
        print("%s: interrupted" % name, file=sys.stderr)
        return EXIT_REFUSED
