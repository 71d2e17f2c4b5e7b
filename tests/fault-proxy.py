#!/usr/bin/python3
"""fault-proxy: an HTTP/1.1 proxy for tests that stands between the
gateway and a partner's saferoute-inbox and flaps between faults.

    fault-proxy.py LISTEN_PORT TARGET_PORT EVENTS_FILE [SEED]

Listens on 127.0.0.1:LISTEN_PORT and forwards each request to
127.0.0.1:TARGET_PORT.  Every 0.3-1.5 s it picks a new mode:

  pass     forward the request and its reply unchanged
  refuse   close the listening socket: new connections are refused
           (a request arriving on an open connection is dropped too)
  error    answer 500 without forwarding
  slow     wait 1-4 s (beyond a short forward_timeout), then forward
  cut      forward the request, wait for the partner's reply, then drop
           the connection without passing the reply on: the partner has
           the report but the sender does not know (the retry must be
           absorbed by the Idempotency-Key)

Each request handled, and each refusal window, is appended to EVENTS_FILE
as one line "MODE" (so the test can count the faults).  Touching
EVENTS_FILE.calm makes it pass everything from then on (the end of the
soak, when everything must drain).  Loopback only.
"""
import os
import random
import socket
import sys
import threading
import time

listen_port = int(sys.argv[1])
target_port = int(sys.argv[2])
events_path = sys.argv[3]
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else None)
calm_path = events_path + ".calm"

MODES = ["pass", "pass", "refuse", "error", "slow", "cut"]
lock = threading.Lock()
mode = "pass"
events = open(events_path, "a", buffering=1)


def event(name):
    with lock:
        events.write(name + "\n")


def current_mode():
    if os.path.exists(calm_path):
        return "pass"
    with lock:
        return mode


def read_until(sock, buf, marker):
    while marker not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return buf


def read_request(client, buf):
    """One request from the client: (head lines, body, rest) or None."""
    buf = read_until(client, buf, b"\r\n\r\n")
    if buf is None:
        return None
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    expect = False
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value.strip())
        if lname == b"expect" and b"100-continue" in value.lower():
            expect = True
            continue
        if lname == b"connection":
            continue
        kept.append(line)
    if expect and len(rest) < length:
        client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    while len(rest) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return kept, rest[:length], rest[length:]


def forward(lines, body):
    """Sends the request upstream with Connection: close; the reply."""
    upstream = socket.create_connection(("127.0.0.1", target_port), timeout=30)
    try:
        upstream.sendall(b"\r\n".join(lines + [b"Connection: close"])
                         + b"\r\n\r\n" + body)
        reply = b""
        while True:
            chunk = upstream.recv(65536)
            if not chunk:
                return reply
            reply += chunk
    finally:
        upstream.close()


def serve(client):
    buf = b""
    try:
        while True:
            request = read_request(client, buf)
            if request is None:
                return
            lines, body, buf = request
            m = current_mode()
            if m == "refuse":
                # Listening socket is closing: behave like a reset.
                event("refuse-reset")
                return
            event(m)
            if m == "error":
                client.sendall(b"HTTP/1.1 500 Internal Server Error\r\n"
                               b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                return
            if m == "slow":
                time.sleep(rng.uniform(1.0, 4.0))
            reply = forward(lines, body)
            if m == "cut":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                  b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return
            # The reply says Connection: close: the next request comes on a new
            # connection and meets the mode of its moment.
            client.sendall(reply)
            return
    except OSError:
        return
    finally:
        client.close()


def listener():
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", listen_port))
    sock.listen(64)
    return sock


def accept_loop(state):
    while True:
        sock = state["sock"]
        if sock is None:
            time.sleep(0.05)
            continue
        try:
            client, _ = sock.accept()
        except OSError:
            continue
        threading.Thread(target=serve, args=(client,), daemon=True).start()


def main():
    global mode
    state = {"sock": listener()}
    threading.Thread(target=accept_loop, args=(state,), daemon=True).start()
    while True:
        time.sleep(rng.uniform(0.3, 1.5))
        new = "pass" if os.path.exists(calm_path) else rng.choice(MODES)
        with lock:
            mode = new
        if new == "refuse" and state["sock"] is not None:
            event("refuse")
            old, state["sock"] = state["sock"], None
            try:
                old.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept()
            except OSError:
                pass
            old.close()
        elif new != "refuse" and state["sock"] is None:
            while True:
                try:
                    state["sock"] = listener()
                    break
                except OSError:
                    time.sleep(0.05)


if __name__ == "__main__":
    main()
