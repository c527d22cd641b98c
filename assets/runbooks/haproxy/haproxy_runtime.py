"""HAProxy runbooks for warroom's `exec` driver: the runtime API client and
every runbook. The executables beside this file (move-site, drain, ready,
maint, set-state, set-role, promote-spare, recycle-web) each call `main`.

Python 3 standard library only (3.7+). Settings come from the environment:

  HAPROXY_SOCKET    runtime API socket (`stats socket ... level admin`)
                    default /run/haproxy/admin.sock
  HAPROXY_MAP_FILE  the Host -> backend map file; default /etc/haproxy/sites.map
  HAPROXY_MAP       the map as the runtime API names it; default HAPROXY_MAP_FILE
  HAPROXY_BACKEND   backend of a bare SERVER name; default: the backend named
                    like the server (one backend per app node)
  HAPROXY_FAILOVER_BACKEND  the failover pool; default "failover"
  HAPROXY_WEB_BACKEND       the web servers recycle-web walks; default "web"
  HAPROXY_TIMEOUT   seconds each runtime API call may take; default 5
  HAPROXY_DRAIN_WAIT        seconds recycle-web waits for a drained server's
                            sessions to end; default 10
  HAPROXY_RECYCLE_COMMAND   optional command recycle-web runs while a server is
                            drained (split like a shell line, no shell; {server}
                            is replaced), e.g. "systemctl restart web@{server}"

Exit status: 0 done (one summary line on stdout); 1 HAProxy refused or does
not know the backend, server or map; 2 bad arguments or settings; 3 the
socket is missing or nothing listens on it; 4 timeout. Every failure is one
line on stderr.
"""

import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_SOCKET = 3
EXIT_TIMEOUT = 4

# Names go into runtime API commands, where spaces split words and ';'
# separates commands: anything else is refused before HAProxy sees it.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$")

# srv_admin_state bits (HAProxy's SRV_ADMF_*). CMAINT alone only records
# that the configuration said `disabled`; the server serves once FMAINT is cleared.
ADMIN_MAINT = 0x01 | 0x02 | 0x20 | 0x40
ADMIN_DRAIN = 0x08 | 0x10

STATES = ("ready", "drain", "maint")

USAGE = {
    "move-site": "move-site SITE FROM TO",
    "set-state": "set-state SERVER ready|drain|maint",
    "drain": "drain SERVER",
    "ready": "ready SERVER",
    "maint": "maint SERVER",
    "set-role": "set-role SERVER failover|app",
    "promote-spare": "promote-spare SERVER",
    "recycle-web": "recycle-web [SERVER]",
}


class RunbookError(Exception):
    """A failure: its one-line message and the exit status."""

    def __init__(self, message, status=EXIT_REFUSED):
        super().__init__(message)
        self.status = status


def printable(text):
    """Text from HAProxy or a command, safe for one terminal line."""
    text = " ".join(text.split())
    return "".join(c if c.isprintable() else "\\x%02x" % ord(c) for c in text)


def env(name, default):
    value = os.environ.get(name)
    return default if value is None else value


def seconds(name, default):
    raw = env(name, default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value > 3600:
        raise RunbookError(
            "%s=%r is not a number of seconds between 0 and 3600" % (name, raw),
            EXIT_USAGE,
        )
    return value


def name_arg(kind, value):
    if not NAME.match(value):
        raise RunbookError(
            "%s %r is not a plain name (letters, digits, '.', '_', ':', '-')"
            % (kind, value),
            EXIT_USAGE,
        )
    return value


class Runtime:
    """HAProxy's runtime API on a unix socket: one command per connection,
    every call bounded by `timeout` seconds."""

    def __init__(self):
        self.path = env("HAPROXY_SOCKET", "/run/haproxy/admin.sock")
        self.timeout = seconds("HAPROXY_TIMEOUT", "5")

    def ask(self, command):
        """HAProxy's answer to `command`, trailing blank lines removed."""
        if not os.path.exists(self.path):
            raise RunbookError(
                "socket missing: %s does not exist (point HAPROXY_SOCKET at HAProxy's "
                "`stats socket ... level admin`)" % self.path,
                EXIT_SOCKET,
            )
        deadline = time.monotonic() + self.timeout
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(self.timeout)
            try:
                conn.connect(self.path)
            except socket.timeout:
                raise self.timed_out(command)
            except FileNotFoundError:
                raise RunbookError(
                    "socket missing: %s does not exist" % self.path, EXIT_SOCKET
                )
            except OSError as err:
                raise RunbookError(
                    "cannot connect to the HAProxy socket %s: %s (is HAProxy running?)"
                    % (self.path, err.strerror or err),
                    EXIT_SOCKET,
                )
            answer = b""
            try:
                conn.sendall(command.encode() + b"\n")
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise self.timed_out(command)
                    conn.settimeout(left)
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except socket.timeout:
                raise self.timed_out(command)
            except OSError as err:
                raise RunbookError(
                    "the HAProxy socket %s failed during `%s`: %s"
                    % (self.path, command, err.strerror or err),
                    EXIT_SOCKET,
                )
        finally:
            conn.close()
        return answer.decode("utf-8", "replace").rstrip("\n")

    def timed_out(self, command):
        return RunbookError(
            "timeout: HAProxy's runtime API at %s did not answer `%s` within %g s "
            "(HAPROXY_TIMEOUT)" % (self.path, command, self.timeout),
            EXIT_TIMEOUT,
        )

    def run(self, command):
        """Runs a command that answers nothing on success; HAProxy's text is the error."""
        answer = self.ask(command).strip()
        if answer:
            raise RunbookError(
                "HAProxy refused `%s`: %s" % (command, printable(answer))
            )

    def backends(self):
        answer = self.ask("show backend")
        return [
            line.strip()
            for line in answer.splitlines()
            if line.strip() and not line.startswith("#")
        ]

    def servers(self, backend):
        """[(server, admin bits)] of one backend, in configuration order."""
        answer = self.ask("show servers state %s" % backend)
        lines = answer.splitlines()
        header = next((l for l in lines if l.startswith("# ")), None)
        if header is None:
            if "find backend" in answer or "No such backend" in answer:
                raise RunbookError(
                    "unknown backend '%s': HAProxy says %r" % (backend, printable(answer))
                )
            raise RunbookError(
                "HAProxy refused `show servers state %s`: %s" % (backend, printable(answer))
            )
        columns = header[2:].split()
        try:
            name_at = columns.index("srv_name")
            admin_at = columns.index("srv_admin_state")
        except ValueError:
            raise RunbookError("`show servers state` lacks srv_name or srv_admin_state")
        found = []
        for line in lines[lines.index(header) + 1 :]:
            fields = line.split()
            if len(fields) > max(name_at, admin_at):
                found.append((fields[name_at], int(fields[admin_at])))
        return found

    def state_of(self, backend, server):
        for name, admin in self.servers(backend):
            if name == server:
                return admin_label(admin)
        raise RunbookError("unknown server '%s/%s': backend '%s' has no such server" % (backend, server, backend))

    def sessions(self, backend, server):
        """Current sessions (scur) of one server, from `show stat`."""
        lines = self.ask("show stat").splitlines()
        if not lines or not lines[0].startswith("# "):
            raise RunbookError("unexpected answer to `show stat`")
        columns = lines[0][2:].split(",")
        px, sv, scur = (columns.index(c) for c in ("pxname", "svname", "scur"))
        for line in lines[1:]:
            fields = line.split(",")
            if len(fields) > scur and fields[px] == backend and fields[sv] == server:
                return int(fields[scur] or 0)
        raise RunbookError("`show stat` has no line for %s/%s" % (backend, server))

    def map_entries(self, map_id):
        answer = self.ask("show map %s" % map_id)
        if answer.startswith("Unknown map") or "map identifier" in answer:
            raise RunbookError(
                "unknown map '%s': HAProxy says %r (set HAPROXY_MAP to the map's file "
                "as in the configuration, or #<id> from `show map`)"
                % (map_id, printable(answer))
            )
        entries = {}
        for line in answer.splitlines():
            fields = line.split(None, 2)
            if len(fields) == 3 and fields[0].startswith("0x"):
                entries.setdefault(fields[1], fields[2])
        return entries


def admin_label(admin):
    if admin & ADMIN_MAINT:
        return "maint"
    if admin & ADMIN_DRAIN:
        return "drain"
    return "ready"


def server_ref(value):
    """(backend, server) from BACKEND/SERVER or a bare SERVER name."""
    backend, slash, server = value.partition("/")
    if not slash:
        server = name_arg("server", value)
        backend = env("HAPROXY_BACKEND", "") or value
    return name_arg("backend", backend), name_arg("server", server)


def set_server_state(rt, backend, server, state):
    """Sets and checks one server's admin state; returns the state it had."""
    before = rt.state_of(backend, server)
    answer = rt.ask("set server %s/%s state %s" % (backend, server, state)).strip()
    if answer.startswith("No such backend"):
        raise RunbookError("unknown backend '%s': HAProxy says %r" % (backend, answer))
    if answer.startswith("No such server"):
        raise RunbookError("unknown server '%s/%s': HAProxy says %r" % (backend, server, answer))
    if answer:
        raise RunbookError(
            "HAProxy refused `set server %s/%s state %s`: %s"
            % (backend, server, state, printable(answer))
        )
    after = rt.state_of(backend, server)
    if after != state:
        raise RunbookError(
            "%s/%s is still %s after `state %s` (another maintenance source, e.g. a tracked server?)"
            % (backend, server, after, state)
        )
    return before


def write_map_file(path, key, value):
    """Rewrites the map file with `key value` (replacing the key's lines or
    appending one), atomically: a temp file in the same directory, renamed."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        lines, mode = [], 0o644
    entry = "%s %s" % (key, value)
    out, replaced = [], False
    for line in lines:
        fields = line.split()
        if fields and not fields[0].startswith("#") and fields[0] == key:
            if not replaced:
                out.append(entry)
                replaced = True
            continue
        out.append(line)
    if not replaced:
        out.append(entry)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def move_site(args):
    site, was, to = (name_arg(k, v) for k, v in zip(("site", "backend", "backend"), args))
    map_file = env("HAPROXY_MAP_FILE", "/etc/haproxy/sites.map")
    map_id = env("HAPROXY_MAP", "") or map_file
    if not map_id:
        raise RunbookError("set HAPROXY_MAP or HAPROXY_MAP_FILE", EXIT_USAGE)
    rt = Runtime()
    backends = rt.backends()
    if to not in backends:
        raise RunbookError(
            "unknown backend '%s': HAProxy has %s" % (to, ", ".join(backends[:20]) or "none")
        )
    current = rt.map_entries(map_id).get(site)
    verb = "add" if current is None else "set"
    rt.run("%s map %s %s %s" % (verb, map_id, site, to))
    now = rt.map_entries(map_id).get(site)
    if now != to:
        raise RunbookError("the map %s has %s -> %s after the change, not %s" % (map_id, site, now, to))
    note = ""
    if current is None:
        note = " (it had no map entry; added)"
    elif current not in (was, to):
        note = " (HAProxy had it on %s, not %s)" % (current, was)
    if map_file:
        try:
            write_map_file(map_file, site, to)
        except OSError as err:
            raise RunbookError(
                "moved %s to %s in the running HAProxy, but the map file %s was not written (%s): "
                "a reload would move it back" % (site, to, map_file, err)
            )
        where = "runtime map and %s" % map_file
    else:
        where = "runtime map only (HAPROXY_MAP_FILE is empty)"
    return "moved %s from %s to %s in the %s%s" % (site, was, to, where, note)


def set_state(args):
    server, state = args
    if state not in STATES:
        raise RunbookError("state %r is not one of ready, drain, maint" % state, EXIT_USAGE)
    backend, server = server_ref(server)
    before = set_server_state(Runtime(), backend, server, state)
    return "%s/%s: %s -> %s" % (backend, server, before, state)


def set_role(args):
    server, role = args
    states = {"failover": "ready", "app": "maint"}
    if role not in states:
        raise RunbookError("role %r is not failover or app" % role, EXIT_USAGE)
    backend = name_arg("backend", env("HAPROXY_FAILOVER_BACKEND", "failover"))
    server = name_arg("server", server)
    before = set_server_state(Runtime(), backend, server, states[role])
    verb = "promoted into" if role == "failover" else "taken out of"
    return "%s %s the failover pool %s (%s -> %s)" % (server, verb, backend, before, states[role])


def recycle_web(args):
    backend = name_arg("backend", env("HAPROXY_WEB_BACKEND", "web"))
    wait = seconds("HAPROXY_DRAIN_WAIT", "10")
    command = shlex.split(env("HAPROXY_RECYCLE_COMMAND", ""))
    rt = Runtime()
    servers = rt.servers(backend)
    if args:
        only = name_arg("server", args[0])
        servers = [(n, a) for n, a in servers if n == only]
        if not servers:
            raise RunbookError("unknown server '%s/%s': backend '%s' has no such server" % (backend, only, backend))
    done, skipped = [], []
    for server, admin in servers:
        if admin_label(admin) == "maint":
            skipped.append(server)
            continue
        set_server_state(rt, backend, server, "drain")
        deadline = time.monotonic() + wait
        while rt.sessions(backend, server) > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        if command:
            recycle = [part.replace("{server}", server) for part in command]
            try:
                result = subprocess.run(
                    recycle, stdin=subprocess.DEVNULL, capture_output=True, timeout=300
                )
            except (OSError, subprocess.TimeoutExpired) as err:
                raise RunbookError(
                    "recycling %s/%s failed: %s; it stays drained" % (backend, server, printable(str(err)))
                )
            if result.returncode != 0:
                why = printable(result.stderr.decode("utf-8", "replace"))[-300:]
                raise RunbookError(
                    "recycling %s/%s: %s exited with status %d%s; it stays drained"
                    % (backend, server, recycle[0], result.returncode, ": " + why if why else "")
                )
        set_server_state(rt, backend, server, "ready")
        done.append(server)
    summary = "recycled %s in %s one at a time" % (", ".join(done) or "no server", backend)
    if skipped:
        summary += "; left %s in maintenance" % ", ".join(skipped)
    return summary


RUNBOOKS = {
    "move-site": (move_site, 3, 3),
    "set-state": (set_state, 2, 2),
    "drain": (lambda a: set_state([a[0], "drain"]), 1, 1),
    "ready": (lambda a: set_state([a[0], "ready"]), 1, 1),
    "maint": (lambda a: set_state([a[0], "maint"]), 1, 1),
    "set-role": (set_role, 2, 2),
    "promote-spare": (lambda a: set_role([a[0], "failover"]), 1, 1),
    "recycle-web": (recycle_web, 0, 1),
}


def main(name, args):
    """Runs runbook `name`; prints its summary or its error; returns the exit status."""
    run, least, most = RUNBOOKS[name]
    try:
        if not least <= len(args) <= most:
            raise RunbookError("usage: %s" % USAGE[name], EXIT_USAGE)
        print("%s: %s" % (name, run(args)))
        return 0
    except RunbookError as err:
        print("%s: %s" % (name, printable(str(err))), file=sys.stderr)
        return err.status
    except KeyboardInterrupt:
        print("%s: interrupted" % name, file=sys.stderr)
        return 130
    except Exception as err:  # one line on stderr, never a traceback
        print("%s: failed: %s" % (name, printable(repr(err))), file=sys.stderr)
        return EXIT_REFUSED
