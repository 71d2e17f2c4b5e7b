#!/usr/bin/python3
"""bad-input driver: sends each row of the hostile-request table over a raw
socket and checks the status and a substring of the reply.  Prints TAP
lines (without a plan: tests/bad-input.sh numbers and plans them).

Usage: driver.py TABLE HMAC_SECRET_FILE ENVELOPE_FILE NAME=URL...

The table is tab-separated: name, server (a NAME given; "kiosk" must be
one), method, path, headers ("Name: value" joined by " || "), body, status, substring.
Headers, body and path take Python backslash escapes (\\r \\n \\x00 \\xff),
so hostile bytes stay visible in the table.  A body of "@GEN ARG" is made
by a generator below.  {CSRF} and {COOKIE} stand for a live kiosk
session's token and cookie, {ENVID} for the envelope's id, any other
{NAME} for $BADINPUT_NAME (the secrets the test made).  A header
"NoLength" sends no Content-Length; "NoEnd" leaves the headers unended
(a stalled request: the servers run with a short read timeout).  A substring list is joined by " && "; a leading
"!" means the reply must NOT contain it.  Status 0: the server closes
the connection without a reply (a hang is -1 and never passes).
"""
import base64
import hashlib
import hmac
import os
import re
import socket
import sys
import time
import urllib.parse

TIMEOUT = 15


def unescape(text):
    return text.encode("ascii").decode("unicode_escape").encode("latin-1")


def split_url(url):
    host, port = url.split("//", 1)[1].rstrip("/").split(":")
    return host, int(port)


def exchange(addr, raw, read_timeout=TIMEOUT):
    """Sends RAW, returns (status, headers, body) of the reply; status 0 if
    the server closed without one."""
    with socket.create_connection(addr, timeout=read_timeout) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (413) before reading everything
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if reply_complete(data):
                    break
        except ConnectionResetError:
            pass
    return parse_reply(data)


def reply_complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return m is not None and len(body) >= int(m.group(1))


def parse_reply(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
    if m is None:
        return 0, b"", data
    return int(m.group(1)), b"\r\n".join(lines[1:]), body


def request(addr, method, path, headers=b"", body=b"", length=True, end=True):
    raw = b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % (method, path)
    raw += headers
    if length:
        raw += b"Content-Length: %d\r\n" % len(body)
    return exchange(addr, raw + (b"\r\n" if end else b"") + body)


class Session:
    """A live kiosk session (cookie and CSRF token), as a browser has."""

    def __init__(self, addr):
        status, head, body = request(addr, b"GET", b"/en/report")
        m = re.search(rb"(?i)set-cookie: saferoute_session=([0-9a-f]+)", head)
        self.cookie = b"saferoute_session=" + (m.group(1) if m else b"none")
        self.addr = addr
        self.refresh(body)

    def refresh(self, body=None):
        if body is None:
            _, _, body = request(self.addr, b"GET", b"/en/report",
                                 b"Cookie: " + self.cookie + b"\r\n")
        m = re.search(rb'name="csrf" value="([0-9a-f]+)"', body)
        self.csrf = m.group(1) if m else b"none"
        return body


def signature(secret, body, when):
    mac = hmac.new(secret, b"%d." % when + body, hashlib.sha256).hexdigest()
    return b"t=%d,v1=%s" % (when, mac.encode())


def twilio_signature(form):
    """Twilio's scheme: base64 HMAC-SHA1 over the URL and the sorted
    name-value pairs, keyed with the auth token."""
    pairs = sorted(urllib.parse.parse_qsl(form.decode(), keep_blank_values=True))
    data = os.environ["BADINPUT_TWILIO_URL"] + "".join(k + v for k, v in pairs)
    mac = hmac.new(os.environ["BADINPUT_TWILIO_TOKEN"].encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest())


def main():
    table, secret_file, envelope_file = sys.argv[1:4]
    servers = dict((a.split("=", 1)[0], split_url(a.split("=", 1)[1]))
                   for a in sys.argv[4:])
    secret = open(secret_file, "rb").read().strip()
    envelope = open(envelope_file, "rb").read()
    envelope_id = re.search(rb'"id"\s*:\s*"([^"]+)"', envelope).group(1)
    now = int(time.time())
    session = Session(servers["kiosk"])
    generators = {
        "big": lambda arg: b"a" * int(arg),
        "bigform": lambda arg: b"csrf=" + session.csrf + b"&step=message&message=" + b"A" * int(arg),
        "envelope": lambda arg: envelope,
        "deep": lambda arg: b"[" * int(arg) + b"]" * int(arg),
        "envelope+": lambda arg: envelope[:-1] + unescape(arg) + envelope[-1:],
    }
    # Placeholders; the longest go past libsoup's limits (64 KiB of headers).
    fixed = {b"{ENVID}": envelope_id,
             b"@HUGEHEADER": b"h" * 200000, b"@HEADER60K": b"h" * 60000,
             b"@MANYHEADERS": b"\r\n".join(b"X-%d: v" % i for i in range(5000)),
             b"@LONGPATH": b"p" * 200000, b"@LONGVALUE": b"7" * 20000,
             b"@LONGCOOKIE": b"c" * 6000}
    failed = 0
    n = 0
    for line in open(table, encoding="ascii"):
        now = int(time.time())
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        name, server, method, path, headers, body, want, substring = line.split("\t")
        n += 1
        subst = dict(fixed)
        subst.update({b"{CSRF}": session.csrf, b"{COOKIE}": session.cookie})

        def fill(data):
            for k, v in subst.items():
                data = data.replace(k, v)
            # {NAME}: $BADINPUT_NAME (secrets the test made).
            return re.sub(rb"\{([A-Z0-9_]+)\}",
                          lambda m: os.environ.get("BADINPUT_" + m.group(1).decode(),
                                                   m.group(0).decode()).encode(), data)

        if body.startswith("@"):
            gen, _, arg = body[1:].partition(" ")
            body_bytes = generators[gen](arg)
        else:
            body_bytes = fill(unescape(body))
        length = True
        end = True
        head = b""
        for h in headers.split(" || ") if headers else []:
            h = fill(unescape(h))
            if h == b"NoLength":
                length = False
                continue
            if h == b"NoEnd":
                end = False
                continue
            if h.startswith(b"SignEnvelope:"):
                # A valid signature made for the real envelope, replayed.
                h = b"Saferoute-Signature: " + signature(secret, envelope, now)
            elif h.startswith(b"TwilioSign:"):
                # TwilioSign: FORM: a valid X-Twilio-Signature, made for
                # FORM (a replay when FORM is not the body sent).
                h = b"X-Twilio-Signature: " + twilio_signature(h[11:].strip())
            elif h.startswith(b"Sign:"):
                # Sign: AGE [forge]: a Saferoute-Signature over the body.
                parts = h[5:].split()
                sig = signature(secret if len(parts) < 2 else b"forged", body_bytes,
                                now - int(parts[0]))
                h = b"Saferoute-Signature: " + sig
            head += h + b"\r\n"
        try:
            status, _, reply = request(servers[server], method.encode(),
                                       fill(unescape(path)), head, body_bytes, length, end)
        except TimeoutError:
            status, reply = -1, b"no reply: the server hangs"
        except OSError as e:
            status, reply = 0, str(e).encode()
        good = status == int(want) and all(
            (w[1:].encode() not in reply) if w.startswith("!") else (w.encode() in reply)
            for w in substring.split(" && "))
        if good:
            print("ok - %s: %s %s -> %d" % (name, server, method, status))
        else:
            failed += 1
            if os.environ.get("BADINPUT_DUMP"):
                with open(os.path.join(os.environ["BADINPUT_DUMP"], "row%d.out" % n), "wb") as f:
                    f.write(reply)
            print("not ok - %s: %s %s %s -> %d (want %s %r) %r"
                  % (name, server, method, path[:60], status, want, substring,
                     reply[:200]))
        if server == "kiosk" and method == "POST":
            session.refresh()
        sys.stdout.flush()
    print("# %d rows, %d failed" % (n, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
