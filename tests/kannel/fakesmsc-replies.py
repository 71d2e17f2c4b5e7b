#!/usr/bin/env python3
"""fakesmsc-replies.py LOG FROM: the replies fakesmsc received for FROM,
reassembled (concatenated parts joined, UCS-2 decoded) and printed as
UTF-8, one reply after another separated by a line "----".  Exits 1 while
a concatenated reply is still missing parts or nothing has arrived, so
the caller can poll it.  fakesmsc logs each received message as
  Got message N: <SENDER RECEIVER TYPE [UDH] DATA>
and splits plain text at line ends into further "Got message" lines."""
import re
import sys
import urllib.parse

log, sender = sys.argv[1], sys.argv[2]
raw = open(log, "rb").read().decode("utf-8", "replace")
items = re.findall(r"Got message \d+: <(.*?)>$", raw, re.M)

replies = []   # list of [kind, payload]
parts = {}     # ref -> {seq: bytes}, total
for item in items:
    head = item.split(" ", 3)
    if len(head) >= 3 and head[1] == sender:
        kind = head[2]
        rest = head[3] if len(head) > 3 else ""
        if kind == "text":
            replies.append(["text", rest])
        elif kind == "ucs-2":
            replies.append(["ucs2", urllib.parse.unquote_to_bytes(rest.replace("+", "%20"))])
        elif kind == "udh":
            udh_enc, _, data_part = rest.partition(" ")
            udh = urllib.parse.unquote_to_bytes(udh_enc.replace("+", "%20"))
            dtype, _, data = data_part.partition(" ")
            payload = urllib.parse.unquote_to_bytes(data.replace("+", "%20"))
            ref, total, seq = udh[3], udh[4], udh[5]
            entry = parts.setdefault(ref, {"total": total, "got": {}, "index": len(replies)})
            if not entry["got"]:
                replies.append(["parts", ref])
            entry["got"][seq] = payload
        else:
            replies.append([kind, rest])
    elif replies and replies[-1][0] == "text":
        # A continuation line of a plain-text reply.
        replies[-1][1] += "\n" + item

out = []
for kind, payload in replies:
    if kind == "text":
        out.append(payload)
    elif kind == "ucs2":
        out.append(payload.decode("utf-16-be"))
    elif kind == "parts":
        entry = parts[payload]
        if len(entry["got"]) < entry["total"]:
            sys.exit(1)
        data = b"".join(entry["got"][i] for i in sorted(entry["got"]))
        # UCS-2 parts hold UTF-16BE; GSM parts arrive as text.
        try:
            out.append(data.decode("utf-16-be") if len(data) % 2 == 0 and b"\x00" in data
                       else data.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(data.decode("latin-1"))
if not out:
    sys.exit(1)
sys.stdout.write("\n----\n".join(out) + "\n")
