#!/usr/bin/python3
"""soak-door: the kiosk and SMS front doors of tests/soak.sh, used as a
person and an SMS provider would use them, while the servers behind them
are killed and restarted.

    soak-door.py kiosk URL COUNT OUTDIR [WORKERS]
    soak-door.py sms   URL COUNT OUTDIR [WORKERS]

kiosk: walks the real saferoute-kiosk's wizard over HTTP (GET each page,
the CSRF token from its form, POST each step, confirm, the reference from
the receipt page), one fresh session per report.  A walk cut short by a
restart (connection refused or reset, or the session gone: 403 or the
wizard back at the start) is walked again from the beginning, as a person
would.  At the confirmation there are three outcomes:
  sent     the receipt page shows a reference code;
  refused  the check screen says the report could not be saved (the
           kiosk's disk is full): nothing was sent, and the person walks
           again with a new report;
  doubt    the kiosk went away after it was given the confirmation and
           before the receipt was shown: the report may or may not be in
           the kiosk's queue.  The person walks again with a new report;
           the test checks that a report in doubt arrives at most once.
sms: one whole conversation per report, each from its own phone number,
to the gateway's generic JSON door (/sms/inbound) or, every other one, to
the Twilio door (/sms/twilio, signed with SOAK_TWILIO_TOKEN over
SOAK_TWILIO_URL).  A message whose request failed (connection refused or
reset, 5xx, 429) is sent again with the same provider message id until
it is answered, as a provider does; the gateway answers a repeat with the
stored reply.

Every report's message carries a tag (soak-k7.0: kiosk report slot 7,
first attempt) that the test finds in the inbox.  Appends lines to
OUTDIR/sent ("DOOR TAG REF"), OUTDIR/refused and OUTDIR/doubt ("DOOR
TAG"), OUTDIR/failed ("DOOR TAG WHY": the test fails); touches
OUTDIR/done.DOOR at the end.  Loopback only; stdlib only.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import queue
import re
import sys
import threading
import time
import urllib.parse

REF = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}")
RECEIPT = re.compile(r'<p class="code"><bdi dir="ltr">([A-Z0-9]{4}-[A-Z0-9]{4})</bdi>')
CSRF = re.compile(r'name="csrf" value="([0-9a-f]*)"')
# How long a door keeps trying one request while its server is down.
PATIENCE = 180

door, url, count, outdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
workers = int(sys.argv[5]) if len(sys.argv) > 5 else 1
parsed = urllib.parse.urlsplit(url)
host, port = parsed.hostname, parsed.port
lock = threading.Lock()


class Down(Exception):
    """The server did not answer (refused, reset, cut)."""


def record(name, *fields):
    with lock:
        with open(os.path.join(outdir, name), "a") as f:
            f.write(" ".join(fields) + "\n")


def request(method, path, body=None, headers=None):
    """One request on its own connection: (status, headers, text)."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as e:
        raise Down(str(e))
    finally:
        conn.close()


def wait_up():
    """Polls /healthz until the server is back (a restart takes a moment)."""
    end = time.time() + PATIENCE
    while time.time() < end:
        try:
            if request("GET", "/healthz")[0] == 200:
                return
        except Down:
            pass
        time.sleep(0.1)
    raise SystemExit("soak-door: %s did not come back in %d s" % (url, PATIENCE))


# ---- kiosk --------------------------------------------------------------

class Session:
    def __init__(self):
        self.cookie = None
        self.page = ""

    def send(self, method, path, fields=None):
        headers = {}
        body = None
        if self.cookie:
            headers["Cookie"] = self.cookie
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, h, text = request(method, path, body, headers)
        for c in h.get_all("Set-Cookie") or []:
            pair = c.split(";", 1)[0]
            if pair.startswith("saferoute_session="):
                self.cookie = pair if pair != "saferoute_session=" else None
        if method == "GET":
            self.page = text
        return status

    def post(self, path, fields):
        m = CSRF.search(self.page)
        return self.send("POST", path, dict(fields, csrf=m.group(1) if m else ""))


def kiosk_steps(tag):
    return [
        ("category", {"category": "domestic-abuse"}, "partner"),
        ("partner", {"partner": "demo-support"}, "contact"),
        ("contact", {"method": "phone"}, "details"),
        ("details", {"phone": "+44 7700 900123", "voicemail": "no", "sms": "no"}, "needs"),
        ("needs", {"interpreter": "none", "woman_worker": "no"}, "police"),
        ("police", {"police": "no"}, "message"),
        ("message", {"message": "soak-%s: he took my passport" % tag}, "check"),
    ]


def kiosk_walk(tag):
    """One walk: ("sent", ref), ("refused",), ("doubt",) or ("again",)."""
    s = Session()
    try:
        s.send("GET", "/en/report")
        for step, fields, following in kiosk_steps(tag):
            if s.post("/en/report", dict(fields, step=step)) != 303:
                return ("again",)
            s.send("GET", "/en/report")
            if 'name="step" value="%s"' % following not in s.page:
                return ("again",)
    except Down:
        wait_up()
        return ("again",)
    try:
        status = s.post("/en/report", {"step": "check", "confirm": "send"})
    except Down:
        wait_up()
        return ("doubt",)
    if status != 303:
        return ("again",)    # a stale session: the kiosk did not take it
    try:
        s.send("GET", "/en/report")
    except Down:
        wait_up()
        return ("doubt",)
    m = RECEIPT.search(s.page)
    if m:
        try:
            s.post("/done", {})
        except Down:
            pass
        return ("sent", m.group(1))
    if "could not be saved" in s.page:
        return ("refused",)
    return ("doubt",)


def kiosk_report(slot):
    attempt = walks = 0
    while True:
        tag = "k%d.%d" % (slot, attempt)
        walks += 1
        if walks > 500:
            raise SystemExit("soak-door: no receipt after 500 walks")
        outcome = kiosk_walk(tag)
        if outcome[0] == "sent":
            record("sent", "kiosk", tag, outcome[1])
            return
        if outcome[0] in ("refused", "doubt"):
            record(outcome[0], "kiosk", tag)
            attempt += 1
            if outcome[0] == "refused":
                time.sleep(0.05)  # a person reads the message first


# ---- sms ----------------------------------------------------------------

twilio_token = os.environ.get("SOAK_TWILIO_TOKEN", "")
twilio_url = os.environ.get("SOAK_TWILIO_URL", "")


def sms_once(slot, sender, text, mid):
    if slot % 2 and twilio_token:
        form = {"MessageSid": mid, "AccountSid": "ACsoak", "From": sender,
                "To": "+447700900000", "Body": text}
        signed = twilio_url + "/sms/twilio" + "".join(k + v for k, v in sorted(form.items()))
        sig = base64.b64encode(hmac.new(twilio_token.encode(), signed.encode(),
                                        hashlib.sha1).digest()).decode()
        return request("POST", "/sms/twilio", urllib.parse.urlencode(form),
                       {"Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": sig})
    body = json.dumps({"from": sender, "to": "60000", "text": text, "id": mid})
    return request("POST", "/sms/inbound", body, {"Content-Type": "application/json"})


def sms_send(slot, sender, text, mid):
    """Sends one message until the gateway answers it; the reply."""
    end = time.time() + PATIENCE
    while time.time() < end:
        try:
            status, _, reply = sms_once(slot, sender, text, mid)
            if status == 200:
                return reply
            if status not in (429, 500, 502, 503):
                return "HTTP %d %s" % (status, reply)
        except Down:
            pass
        time.sleep(0.1)   # the provider's retry
    return "no answer in %d s" % PATIENCE


def sms_report(slot):
    tag = "s%d.0" % slot
    sender = "+4477%08d" % slot
    texts = ["hello", "1", "2", "1", "1", "1", "1",
             "soak-%s: he took my passport" % tag, "1"]
    reply = ""
    for j, text in enumerate(texts):
        reply = sms_send(slot, sender, text, "SMsoak%07d%02d" % (slot, j))
    m = re.search(r"reference is (%s)" % REF.pattern, reply)
    if m:
        record("sent", "sms", tag, m.group(1))
    else:
        record("failed", "sms", tag, json.dumps(reply[:200]))


# ---- workers ------------------------------------------------------------

def worker(slots, report):
    while True:
        try:
            slot = slots.get_nowait()
        except queue.Empty:
            return
        try:
            report(slot)
        except SystemExit as e:
            record("failed", door, str(slot), json.dumps(str(e)))


def main():
    report = {"kiosk": kiosk_report, "sms": sms_report}[door]
    slots = queue.Queue()
    for slot in range(count):
        slots.put(slot)
    threads = [threading.Thread(target=worker, args=(slots, report))
               for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    open(os.path.join(outdir, "done." + door), "w").close()


if __name__ == "__main__":
    main()
