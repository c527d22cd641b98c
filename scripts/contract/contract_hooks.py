"""Schemathesis hooks for scripts/contract.sh: test data the document cannot
state. Loaded through SCHEMATHESIS_HOOKS.

`started_at` and `occurred_at` may not be more than 5 minutes ahead of the
orchestrator's clock, which is the simulator's (the switch-2017 scenario
starts in 2017): a rule against the clock, which JSON Schema cannot express.
A valid date-time later than the server's clock is moved to a day before it;
anything else (not a date, the wrong type) is left for the server to refuse.

An `Idempotency-Key` names one request: a client never sends the same key
with another body (the server answers 422 `idempotency_key_reused`, as the
document says). Drawn keys collide often, so a valid key gets the request's
own digest appended: the same key with the same request stays the same
(a retry), the same key with another request becomes another key.
"""

import hashlib
import json
import re
import os
import urllib.request
from datetime import datetime, timedelta

import schemathesis

CLOCKED_FIELDS = ("started_at", "occurred_at")


def _server_clock():
    request = urllib.request.Request(
        os.environ["WARROOM_CONTRACT_URL"] + "/v1/sim",
        headers={"Authorization": "Bearer " + os.environ["WARROOM_CONTRACT_COMMANDER"]},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return _parse(json.load(response)["clock"])


def _parse(text):
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# The simulator's clock only moves forward, so a time before where it stood
# at the start stays in the past for the whole run.
PAST = (_server_clock() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
LATEST = _parse(PAST)


KEY = re.compile(r"[!-~]{1,200}\Z")


def _unique_key(case):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        key = headers[name]
        if not isinstance(key, str) or not KEY.match(key):
            return
        request = json.dumps([case.method, case.formatted_path, case.body], sort_keys=True, default=str)
        digest = hashlib.sha256(request.encode()).hexdigest()[:16]
        headers[name] = key[: 200 - 17] + "-" + digest


@schemathesis.hook
def before_call(context, case, kwargs):
    _unique_key(case)
    body = case.body
    if not isinstance(body, dict):
        return
    for field in CLOCKED_FIELDS:
        moment = _parse(body.get(field))
        if moment is not None and moment > LATEST:
            body[field] = PAST
