"""Drives the emulator with the official Okta Python SDK (okta==3.4.6).

Every identity-source operation that SDK has, against `okta-idsrc emulator`: the session
lifecycle, bulk user upsert and delete, bulk group and membership loads, start-import polled to
COMPLETED, the individual user operations, the error paths (unknown session 404, a second
active session 400, a load after the trigger 400, a bad token 401, 201 users 400), and the
SDK's own 429 retry against `--rate-limit`.

The emulator answers as live Okta does; where SDK 3.4.6 loses data against those live-shaped
answers, the check says so (marked "SDK LOSES") and asserts the loss, so that a fixed SDK shows
up here, instead of the emulator being bent to fit the SDK.

Usage: python sdk_test.py --org-url http://127.0.0.1:PORT --token T --source ID --binary PATH
(`run.sh` starts the emulator and passes these). The last line is "N passed, N failed"; the
exit status is 1 when anything failed.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import traceback
import urllib.request

# SDK 3.4.6 reads this setting only from the environment, and refuses http:// without it.
os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"

from okta.client import Client as OktaClient  # noqa: E402
from okta.models import (  # noqa: E402
    BulkDeleteRequestBody,
    BulkGroupDeleteRequestBody,
    BulkGroupMembershipsDeleteRequestBody,
    BulkGroupMembershipsUpsertRequestBody,
    BulkGroupUpsertRequestBody,
    BulkGroupUpsertRequestBodyProfilesInner,
    BulkUpsertRequestBody,
    BulkUpsertRequestBodyProfilesInner,
    GroupsResponseSchema,
    IdentitySourceGroupMembershipsDeleteProfileInner,
    IdentitySourceGroupMembershipsUpsertProfileInner,
    IdentitySourceGroupProfileForUpsert,
    IdentitySourceUserProfileForDelete,
    IdentitySourceUserProfileForUpsert,
    UserRequestSchema,
    UsersUpdateRequestSchema,
)

RESULTS = []


def check(name, condition, detail=""):
    """Records one check."""
    RESULTS.append((name, bool(condition), detail))
    mark = "ok  " if condition else "FAIL"
    print(f"{mark} {name}" + (f" -- {detail}" if detail and not condition else ""), flush=True)
    return bool(condition)


def unpack(result):
    """SDK 3.4.6 returns (data, resp, err), but (resp, err) from a failed void operation."""
    if len(result) == 3:
        return result
    resp, err = result
    return None, resp, err


def check_data(name, result, predicate):
    """Records that a call succeeded with data satisfying `predicate`; returns the data."""
    data, resp, err = unpack(result)
    check(name, err is None and data is not None and predicate(data), f"{data!r} {err!r}")
    return data


def check_status(name, result, status, code=None):
    """Records that a call answered `status` (and error code `code`)."""
    _, resp, err = unpack(result)
    got = status_of(resp, err)
    return check(name, got == status and (code is None or error_code(err) == code), f"{got} {err!r}")


def status_of(resp, err):
    """The HTTP status of a call, whatever shape the SDK handed back."""
    for thing in (err, resp):
        for attr in ("status", "status_code"):
            value = getattr(thing, attr, None)
            if isinstance(value, int):
                return value
    return None


def error_code(err):
    return getattr(err, "error_code", None)


def client(org_url, token, max_retries=0):
    return OktaClient(
        {
            "orgUrl": org_url,
            "token": token,
            "rateLimit": {"maxRetries": max_retries},
            "requestTimeout": 30,
        }
    )


def profile(login, **attributes):
    """A profile whose email and userName are both `login`."""
    return IdentitySourceUserProfileForUpsert(email=login, user_name=login, **attributes)


def user_profile(i):
    return profile(f"sdk{i}@example.com", first_name=f"First{i}", last_name="Sdk")


def users_body(start, end):
    return BulkUpsertRequestBody(
        entity_type="USERS",
        profiles=[
            BulkUpsertRequestBodyProfilesInner(external_id=f"sdk-{i}", profile=user_profile(i))
            for i in range(start, end)
        ],
    )


def http_get(url, token):
    """A GET with the token, outside the SDK: (status, parsed JSON body)."""
    req = urllib.request.Request(url, headers={"Authorization": f"SSWS {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


async def create_session(c, source):
    """Creates a session; returns (id, status code, data the SDK gave)."""
    data, resp, err = unpack(await c.create_identity_source_session(source))
    if err is not None:
        return None, status_of(resp, err), data
    # Live Okta answers 201; the SDK maps only "200" to IdentitySourceSession, so `data` is
    # None and the session is only in the raw body.
    raw = json.loads(resp.raw_data) if resp is not None and resp.raw_data else {}
    return raw.get("id"), status_of(resp, err), data


async def upload_all(source, session_id, loads):
    """Uploads each load, a (check name, SDK upload method, body), in order: each one 202."""
    for name, upload, body in loads:
        check_status(f"{name}: 202", await upload(source, session_id, body), 202)


async def wait_for(c, source, session_id, status, seconds=20):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        data, resp, err = unpack(await c.get_identity_source_session(source, session_id))
        last = (data.status.value if data is not None and data.status else None, err)
        if last[0] == status:
            return True
        await asyncio.sleep(0.05)
    print(f"     session {session_id} still {last}", flush=True)
    return False


async def lifecycle(org_url, token, source):
    c = client(org_url, token)

    # Session lifecycle.
    session_id, status, data = await create_session(c, source)
    check("create session: 201, as live Okta", status == 201, f"status {status}")
    check(
        "create session: SDK LOSES the 201 body (it maps only 200); the id is in raw_data",
        data is None and session_id is not None and session_id.startswith("aps"),
        f"data {data!r}, id {session_id!r}",
    )
    check_data(
        "get session: CREATED",
        await c.get_identity_source_session(source, session_id),
        lambda d: d.status.value == "CREATED",
    )
    check_data(
        "list sessions: holds it",
        await c.list_identity_source_sessions(source),
        lambda d: any(s.id == session_id for s in d),
    )

    # Error: a second active session.
    _, status, _ = await create_session(c, source)
    check("second active session: 400", status == 400, f"status {status}")

    # Error: unknown session.
    check_status(
        "unknown session: 404 E0000007",
        await c.get_identity_source_session(source, "apsNOSUCHSESSION0000"),
        404, "E0000007",
    )

    # Cancel: 204, CLOSED.
    result = unpack(await c.delete_identity_source_session(source, session_id))
    check("delete session: 204", status_of(result[1], result[2]) == 204, repr(result))
    data, resp, err = unpack(await c.get_identity_source_session(source, session_id))
    check(
        "deleted session: CLOSED",
        data is not None and data.status.value == "CLOSED",
        f"{data!r} {err!r}",
    )

    # Bulk loads and start-import, polled to COMPLETED.
    session_id, status, _ = await create_session(c, source)
    groups = BulkGroupUpsertRequestBody(
        profiles=[
            BulkGroupUpsertRequestBodyProfilesInner(
                external_id="sdk-group",
                profile=IdentitySourceGroupProfileForUpsert(
                    display_name="SDK group", description="from the Python SDK"
                ),
            ),
            BulkGroupUpsertRequestBodyProfilesInner(
                external_id="sdk-doomed",
                profile=IdentitySourceGroupProfileForUpsert(display_name="Doomed"),
            ),
        ]
    )
    members = BulkGroupMembershipsUpsertRequestBody(
        memberships=[
            IdentitySourceGroupMembershipsUpsertProfileInner(
                group_external_id="sdk-group",
                member_external_ids=["sdk-0", "sdk-1", "sdk-2"],
            )
        ]
    )
    await upload_all(source, session_id, [
        ("bulk upsert", c.upload_identity_source_data_for_upsert, users_body(0, 5)),
        ("bulk groups upsert", c.upload_identity_source_groups_for_upsert, groups),
        ("bulk memberships upsert", c.upload_identity_source_group_memberships_for_upsert, members),
    ])
    check_data(
        "start import: 200 TRIGGERED",
        await c.start_import_from_identity_source(source, session_id),
        lambda d: d.status.value == "TRIGGERED",
    )
    # Error: a load after the trigger.
    check_status(
        "load after the trigger: 400 E0000001",
        await c.upload_identity_source_data_for_upsert(source, session_id, users_body(5, 6)),
        400, "E0000001",
    )
    check("polled to COMPLETED", await wait_for(c, source, session_id, "COMPLETED"))

    # The individual user operations on what the import created.
    check_data(
        "get user: the imported profile, a 0ua id",
        await c.get_identity_source_user(source, "sdk-1"),
        lambda d: d.id.startswith("0ua")
        and len(d.id) == 20
        and d.profile.email == "sdk1@example.com"
        and d.profile.first_name == "First1",
    )
    new = UserRequestSchema(
        external_id="sdk-new",
        profile=profile("new@example.com", first_name="New"),
    )
    data, resp, err = unpack(await c.create_identity_source_user(source, new))
    raw = json.loads(resp.raw_data) if resp is not None and resp.raw_data else {}
    check(
        "create user: 200 with the user in the body, as live",
        err is None and status_of(resp, err) == 200 and raw.get("externalId") == "sdk-new"
        and raw.get("id", "").startswith("0ua"),
        f"{status_of(resp, err)} {raw!r} {err!r}",
    )
    check(
        "create user: SDK LOSES the body (the spec declares no content for the 200)",
        data is None,
        repr(data),
    )
    check_status("create user again: 400", await c.create_identity_source_user(source, new), 400)
    replaced = UserRequestSchema(
        profile=profile("new2@example.com", last_name="Replaced")
    )
    check_data(
        "replace user: the new profile only",
        await c.replace_existing_identity_source_user(source, "sdk-new", replaced),
        lambda d: d.profile.email == "new2@example.com"
        and d.profile.last_name == "Replaced"
        and d.profile.first_name is None,
    )
    patch = UsersUpdateRequestSchema(
        profile=profile("new3@example.com", mobile_phone="+1 555 0100")
    )
    check_data(
        "update user: merged",
        await c.update_identity_source_users(source, "sdk-new", patch),
        lambda d: d.profile.email == "new3@example.com"
        and d.profile.mobile_phone == "+1 555 0100"
        and d.profile.last_name == "Replaced",
    )
    result = unpack(await c.delete_identity_source_user(source, "sdk-new"))
    check("delete user: 204", status_of(result[1], result[2]) == 204, repr(result))
    check_status(
        "deleted user: 404 E0000007",
        await c.get_identity_source_user(source, "sdk-new"),
        404, "E0000007",
    )

    # The group as live Okta answers it: a flat profile. The SDK's model expects
    # profile.profile, so it drops displayName and description.
    status, group = http_get(f"{org_url}/api/v1/identity-sources/{source}/groups/sdk-group", token)
    check(
        "group read back flat, as live",
        status == 200 and group["profile"] == {"displayName": "SDK group", "description": "from the Python SDK"},
        f"{status} {group!r}",
    )
    parsed = GroupsResponseSchema.from_dict(group)
    check(
        "group: SDK LOSES displayName/description (GroupsResponseSchema nests profile.profile)",
        parsed is not None and parsed.external_id == "sdk-group" and (parsed.profile is None or parsed.profile.profile is None),
        repr(parsed),
    )

    # Deletes: users deactivated, groups and memberships removed.
    session_id, _, _ = await create_session(c, source)
    deletes = BulkDeleteRequestBody(
        entity_type="USERS", profiles=[IdentitySourceUserProfileForDelete(external_id="sdk-4")]
    )
    gone = BulkGroupDeleteRequestBody(external_ids=["sdk-doomed"])
    leave = BulkGroupMembershipsDeleteRequestBody(
        memberships=[
            IdentitySourceGroupMembershipsDeleteProfileInner(
                group_external_id="sdk-group", member_external_ids=["sdk-0"]
            )
        ]
    )
    await upload_all(source, session_id, [
        ("bulk delete", c.upload_identity_source_data_for_delete, deletes),
        ("bulk groups delete", c.upload_identity_source_groups_data_for_delete, gone),
        ("bulk memberships delete", c.upload_identity_source_group_memberships_for_delete, leave),
    ])
    check_data(
        "second import triggered",
        await c.start_import_from_identity_source(source, session_id),
        lambda d: d.status.value == "TRIGGERED",
    )
    check("second import COMPLETED", await wait_for(c, source, session_id, "COMPLETED"))
    status, state = http_get(f"{org_url}/__emulator/state", token)
    src = next(s for s in state["identitySources"] if s["id"] == source)
    by_ext = {u["externalId"]: u for u in src["users"]}
    groups = {g["externalId"]: g for g in src["groups"]}
    check(
        "deletes applied: user deactivated, group gone, member removed",
        by_ext["sdk-4"]["active"] is False
        and by_ext["sdk-3"]["active"] is True
        and "sdk-doomed" not in groups
        and groups["sdk-group"]["members"] == ["sdk-1", "sdk-2"],
        json.dumps({"users": list(by_ext), "groups": groups}),
    )

    # Error: 201 users in one load (the SDK's model does not stop it; Okta does).
    session_id, _, _ = await create_session(c, source)
    check_status(
        "201 users: 400 E0000001",
        await c.upload_identity_source_data_for_upsert(source, session_id, users_body(0, 201)),
        400, "E0000001",
    )
    await c.delete_identity_source_session(source, session_id)

    # Error: a bad token.
    bad = client(org_url, token + "-wrong")
    check_status(
        "bad token: 401 E0000011",
        await bad.list_identity_source_sessions(source),
        401, "E0000011",
    )


async def rate_limited(binary, token, source):
    """A second emulator, rate limited to 3 requests a window, windows of 1 s (--time-scale 60):
    the SDK's own retry waits out the 429s and every call succeeds."""
    proc = subprocess.Popen(
        [binary, "emulator", "--listen", "127.0.0.1:0", "--token", token,
         "--identity-source", source, "--rate-limit", "3", "--time-scale", "60"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        prefix = "okta-idsrc emulator listening on "
        if not check("rate-limited emulator started", line.startswith(prefix), line):
            return
        org_url = line[len(prefix):].strip()
        c = client(org_url, token, max_retries=3)
        started = time.monotonic()
        failures = []
        for _ in range(7):
            data, resp, err = unpack(await c.list_identity_source_sessions(source))
            if err is not None:
                failures.append(repr(err))
        took = time.monotonic() - started
        status, state = http_get(f"{org_url}/__emulator/state", token)
        limited = state["stats"]["rateLimited"]
        check(
            "429s retried by the SDK: all 7 calls succeed",
            not failures and limited >= 1,
            f"failures {failures}, 429s {limited}, {took:.1f} s",
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--org-url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--binary", required=True)
    args = p.parse_args()
    for name, run in (
        ("lifecycle", lambda: lifecycle(args.org_url, args.token, args.source)),
        ("rate limit", lambda: rate_limited(args.binary, args.token, args.source)),
    ):
        try:
            await run()
        except Exception:  # a crash is a failure, with its traceback
            check(f"{name}: no exception", False, traceback.format_exc())
    passed = sum(1 for _, ok, _ in RESULTS if ok)
    failed = len(RESULTS) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not RESULTS else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
