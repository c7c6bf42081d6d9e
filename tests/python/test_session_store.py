"""Unit tests of the odooaspire_session_redis store against a real redis-server.

Run with Debian's Python (python3-redis):  /usr/bin/python3 -m unittest discover -s tests/python -v
Each test class starts its own redis-server on a free loopback port and stops it afterwards.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ADDONS = os.path.join(os.path.dirname(__file__), "..", "..", "src", "OdooAspire.AppHost", "odoo-node", "addons")
sys.path.insert(0, os.path.abspath(ADDONS))

import redis  # noqa: E402

from odooaspire_session_redis import session_store  # noqa: E402
from odooaspire_session_redis.session_store import RedisSessionStore, SessionStoreFull, SessionStoreUnavailable  # noqa: E402

PASSWORD = "unit-test-password"
WEEK = 60 * 60 * 24 * 7
HOUR = 60 * 60


def default_session():
    """odoo.http.get_default_session() of Odoo 18."""
    return {"context": {}, "db": None, "debug": "", "login": None, "uid": None, "session_token": None, "_trace": []}


def visitor_session():
    """What Odoo 18 stores on an anonymous websocket handshake: the defaults with the request's db and lang."""
    return dict(default_session(), db="odoo", context={"lang": "en_US"})


def store_for(url, **environ):
    return RedisSessionStore.from_environment(Session, default_session, {session_store.URL_VARIABLE: url, **environ})


class Session(dict):
    """The part of odoo.http.Session the store relies on: a dict with sid, is_dirty, should_rotate and uid."""

    def __init__(self, data, sid, new=False):
        super().__init__(data)
        self.sid = sid
        self.is_new = new
        self.is_dirty = False
        self.should_rotate = False

    @property
    def uid(self):
        return self.get("uid")


class RedisServer:
    """A redis-server of its own on 127.0.0.1, with a password, in a temporary directory."""

    def __init__(self, *options):
        self.options = list(options)
        self.directory = tempfile.mkdtemp(prefix="odooaspire-redis-test-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = None

    @property
    def url(self):
        return f"redis://:{PASSWORD}@127.0.0.1:{self.port}/0"

    def start(self):
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(self.port), "--requirepass", PASSWORD,
             "--dir", self.directory, "--save", "", "--appendonly", "no", *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server did not answer on port {self.port} within 10 s")
                time.sleep(0.05)

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def remove(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class RedisTestCase(unittest.TestCase):
    """A redis-server of the class's own (started with ``server_args``), emptied before each test, and a store over it."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = RedisServer(*cls.server_args)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.remove()

    def setUp(self):
        self.client = redis.Redis.from_url(self.server.url)
        self.client.flushdb()
        self.store = store_for(self.server.url)

    def tearDown(self):
        self.client.close()


class RedisSessionStoreTest(RedisTestCase):

    def saved_session(self, **data):
        session = self.store.new()
        session.update(data)
        self.store.save(session)
        return session

    def test_a_saved_session_is_json_under_the_shared_key_with_odoos_lifetime(self):
        session = self.saved_session(uid=2, login="admin", db="odoo")

        key = f"odoo:session:{session.sid}"
        self.assertEqual({"uid": 2, "login": "admin", "db": "odoo"}, json.loads(self.client.get(key)))
        self.assertEqual(WEEK, session_store.DEFAULT_LIFETIME)
        self.assertGreater(self.client.ttl(key), WEEK - 5)

    def test_get_returns_the_saved_data_under_the_same_id(self):
        session = self.saved_session(uid=2, context={"lang": "en_US"})

        loaded = self.store.get(session.sid)

        self.assertEqual(session.sid, loaded.sid)
        self.assertFalse(loaded.is_new)
        self.assertEqual({"uid": 2, "context": {"lang": "en_US"}}, dict(loaded))

    def test_reading_a_session_renews_its_lifetime(self):
        session = self.saved_session(uid=2)
        key = self.store.key(session.sid)
        self.client.expire(key, 10)

        self.store.get(session.sid)

        self.assertGreater(self.client.ttl(key), WEEK - 5)

    def test_an_unknown_or_malformed_id_gets_a_new_empty_session(self):
        unknown = self.store.generate_key()
        for sid in (unknown, "not-a-session-id", "../../etc/passwd"):
            session = self.store.get(sid)
            self.assertTrue(session.is_new, sid)
            self.assertEqual({}, dict(session))
            self.assertNotEqual(sid, session.sid)

    def test_generated_keys_are_odoos_84_url_safe_characters_and_unique(self):
        keys = {self.store.generate_key() for _ in range(200)}

        self.assertEqual(200, len(keys))
        for key in keys:
            self.assertEqual(84, len(key))
            self.assertTrue(self.store.is_valid_key(key))
        self.assertFalse(self.store.is_valid_key("a" * 83))
        self.assertFalse(self.store.is_valid_key("a" * 83 + "*"))
        self.assertFalse(self.store.is_valid_key(None))

    def test_delete_removes_the_session(self):
        session = self.saved_session(uid=2)

        self.store.delete(session)

        self.assertIsNone(self.client.get(self.store.key(session.sid)))
        self.assertTrue(self.store.get(session.sid).is_new)

    def test_rotate_moves_the_data_to_a_new_id_and_forgets_the_old_one(self):
        session = self.saved_session(login="admin")
        old = session.sid
        session.should_rotate = True

        self.store.rotate(session, env=None)

        self.assertNotEqual(old, session.sid)
        self.assertFalse(session.should_rotate)
        self.assertIsNone(self.client.get(self.store.key(old)))
        self.assertEqual({"login": "admin"}, dict(self.store.get(session.sid)))

    def test_delete_from_identifiers_removes_only_the_sessions_of_those_devices(self):
        revoked = self.saved_session(uid=2)
        kept = self.saved_session(uid=2)

        # A pattern is no identifier: it must delete nothing.
        self.store.delete_from_identifiers(["*", revoked.sid[:41] + "*"])
        self.assertIsNotNone(self.client.get(self.store.key(revoked.sid)))

        self.store.delete_from_identifiers([revoked.sid[:42]])

        self.assertIsNone(self.client.get(self.store.key(revoked.sid)))
        self.assertIsNotNone(self.client.get(self.store.key(kept.sid)))

    def test_vacuum_leaves_live_sessions_alone(self):
        session = self.saved_session(uid=2)

        self.store.vacuum(max_lifetime=0)

        self.assertEqual({"uid": 2}, dict(self.store.get(session.sid)))

    def test_save_if_modified_saves_only_a_changed_session(self):
        session = self.store.new()
        session["uid"] = 2
        self.store.save_if_modified(session)
        self.assertIsNone(self.client.get(self.store.key(session.sid)))

        session.is_dirty = True
        self.store.save_if_modified(session)
        self.assertIsNotNone(self.client.get(self.store.key(session.sid)))

    def test_a_visitors_session_holding_only_odoos_defaults_gets_the_short_lifetime(self):
        self.assertEqual(HOUR, session_store.DEFAULT_ANONYMOUS_LIFETIME)
        for data in (
            visitor_session(),
            dict(visitor_session(), debug="1"),
            # The bus's long-polling fallback marks an anonymous session so.
            dict(visitor_session(), is_websocket_session=True),
            {},
        ):
            session = self.saved_session(**data)
            self.assertIn(self.client.ttl(self.store.key(session.sid)), range(HOUR - 5, HOUR + 1), data)

    def test_a_session_with_a_user_a_cart_or_a_pending_login_keeps_odoos_full_lifetime(self):
        for data in (
            dict(visitor_session(), uid=2, login="admin", session_token="t"),
            dict(visitor_session(), sale_order_id=7),
            dict(visitor_session(), pre_login="admin", pre_uid=2),
            dict(visitor_session(), context={"lang": "en_US", "tz": "Europe/Brussels"}),
            dict(visitor_session(), _trace_disable=True),
        ):
            session = self.saved_session(**data)
            self.assertGreater(self.client.ttl(self.store.key(session.sid)), WEEK - 5, data)

    def test_reading_renews_each_session_with_its_own_lifetime(self):
        visitor = self.saved_session(**visitor_session())
        user = self.saved_session(**dict(visitor_session(), uid=2))
        for session in (visitor, user):
            self.client.expire(self.store.key(session.sid), 10)

        self.assertEqual(visitor_session(), dict(self.store.get(visitor.sid)))
        self.store.get(user.sid)

        self.assertIn(self.client.ttl(self.store.key(visitor.sid)), range(HOUR - 5, HOUR + 1))
        self.assertGreater(self.client.ttl(self.store.key(user.sid)), WEEK - 5)

    def test_a_cart_saved_while_the_visitors_session_is_read_keeps_the_full_lifetime(self):
        visitor = self.saved_session(**visitor_session())
        other_worker = store_for(self.server.url)
        getex = self.store.client.getex

        def getex_then_cart_saved_elsewhere(*args, **kwargs):
            raw = getex(*args, **kwargs)
            other_worker.save(Session(dict(json.loads(raw), sale_order_id=7), visitor.sid))
            return raw

        self.store.client.getex = getex_then_cart_saved_elsewhere
        self.store.get(visitor.sid)

        self.assertGreater(self.client.ttl(self.store.key(visitor.sid)), WEEK - 5)
        self.assertEqual(7, json.loads(self.client.get(self.store.key(visitor.sid)))["sale_order_id"])

    def test_the_key_prefix_and_lifetime_come_from_the_environment(self):
        store = store_for(self.server.url, **{
            session_store.KEY_PREFIX_VARIABLE: "other:",
            session_store.LIFETIME_VARIABLE: "120",
            session_store.ANONYMOUS_LIFETIME_VARIABLE: "60",
        })
        user, visitor = store.new(), store.new()
        user["uid"] = 2
        visitor.update(visitor_session())
        store.save(user)
        store.save(visitor)

        self.assertTrue(self.client.exists(f"other:{user.sid}"))
        self.assertIn(self.client.ttl(f"other:{user.sid}"), range(115, 121))
        self.assertIn(self.client.ttl(f"other:{visitor.sid}"), range(55, 61))

    def test_without_a_url_the_store_says_which_variable_to_set(self):
        with self.assertRaisesRegex(RuntimeError, session_store.URL_VARIABLE):
            RedisSessionStore.from_environment(Session, default_session, {})

    def test_a_wrong_password_fails_the_request_instead_of_starting_a_new_session(self):
        url = self.server.url.replace(PASSWORD, "wrong")
        store = store_for(url)

        with self.assertLogs(session_store._logger, "ERROR"), self.assertRaises(SessionStoreUnavailable):
            store.get(self.store.generate_key())


class RedisDownTest(unittest.TestCase):
    """Redis stops: every operation fails with 503 and a log line; Redis back: the session is still there."""

    def test_a_session_survives_redis_being_down_and_requests_fail_meanwhile(self):
        server = RedisServer()
        server.start()
        self.addCleanup(server.remove)
        store = store_for(server.url)
        session = store.new()
        session["uid"] = 2
        store.save(session)
        # Persist before the kill: the append-only file of the real stack plays this part.
        store.client.save()

        server.stop()
        for operation in (lambda: store.get(session.sid), lambda: store.save(session), lambda: store.delete(session)):
            with self.assertLogs(session_store._logger, "ERROR") as logs, self.assertRaises(SessionStoreUnavailable) as raised:
                operation()
            self.assertIn(f"127.0.0.1:{server.port}", raised.exception.args[0])
            self.assertIn("Session store unavailable", logs.output[0])

        server.start()
        self.assertEqual({"uid": 2}, dict(store.get(session.sid)))

    def test_the_failure_is_a_503_response_for_odoo(self):
        error = SessionStoreUnavailable("Session store unavailable: test")

        response = error.error_response

        self.assertEqual(503, response.status_code)
        self.assertEqual(b"Session store unavailable: test", response.get_data())


class FullStoreTest(RedisTestCase):
    """Redis at its maxmemory with noeviction, as the stack runs it: new sessions are refused, none is evicted."""

    server_args = ("--maxmemory-policy", "noeviction")

    def setUp(self):
        super().setUp()
        self.user = self.store.new()
        self.user.update(visitor_session(), uid=2, login="admin")
        self.visitor = self.store.new()
        self.visitor.update(visitor_session())
        for session in (self.user, self.visitor):
            self.store.save(session)
        # The first read after a restart loads the renewal script while the store is full.
        self.client.script_flush()
        self.client.config_set("maxmemory", 0)
        for filler in range(256):
            self.client.set(f"filler:{filler}", b"x" * 4096)
        # Past the limit by more than a client's buffers: near it, a write slips in whenever one is freed.
        self.client.config_set("maxmemory", self.client.info("memory")["used_memory"] - 256 * 1024)
        self.keys = self.client.dbsize()

    def tearDown(self):
        self.client.close()

    def test_a_new_session_is_refused_with_a_503_that_says_the_store_is_full(self):
        session = self.store.new()
        session.update(visitor_session())

        with self.assertLogs(session_store._logger, "ERROR") as logs, self.assertRaises(SessionStoreFull) as raised:
            self.store.save(session)

        self.assertIn("Session store full", logs.output[0])
        self.assertIn(f"127.0.0.1:{self.server.port}", logs.output[0])
        self.assertEqual(503, raised.exception.error_response.status_code)
        self.assertIsNone(self.client.get(self.store.key(session.sid)))

    def test_stored_sessions_are_still_read_and_renewed_with_their_own_lifetime(self):
        for session in (self.user, self.visitor):
            self.client.expire(self.store.key(session.sid), 10)

        self.assertEqual(dict(self.user), dict(self.store.get(self.user.sid)))
        self.assertEqual(dict(self.visitor), dict(self.store.get(self.visitor.sid)))

        self.assertGreater(self.client.ttl(self.store.key(self.user.sid)), WEEK - 5)
        self.assertIn(self.client.ttl(self.store.key(self.visitor.sid)), range(HOUR - 5, HOUR + 1))

    def test_saving_a_stored_session_that_did_not_change_renews_it_and_a_change_is_refused(self):
        key = self.store.key(self.user.sid)
        self.client.expire(key, 10)
        # What Odoo does on a logged-in user's websocket handshake and on touch(): a save of what was read.
        session = self.store.get(self.user.sid)
        self.client.expire(key, 10)

        with self.assertNoLogs(session_store._logger, "ERROR"):
            self.store.save(session)
        self.assertGreater(self.client.ttl(key), WEEK - 5)

        session["cart"] = 7
        with self.assertLogs(session_store._logger, "ERROR"), self.assertRaises(SessionStoreFull):
            self.store.save(session)
        self.assertEqual(dict(self.user), json.loads(self.client.get(key)))

    def test_a_logged_in_session_whose_only_change_is_odoos_device_trace_is_renewed_not_refused(self):
        key = self.store.key(self.user.sid)
        self.client.expire(key, 10)
        # Odoo's update_trace: a new device, or the hourly refresh of last_activity, on a logged-in user's request.
        session = self.store.get(self.user.sid)
        session["_trace"] = [{"platform": "linux", "browser": "chrome", "ip_address": "127.0.0.1",
                              "first_activity": 1, "last_activity": 2}]

        with self.assertNoLogs(session_store._logger, "ERROR"):
            self.store.save(session)

        self.assertGreater(self.client.ttl(key), WEEK - 5)
        self.assertEqual(dict(self.user), json.loads(self.client.get(key)))

    def test_nothing_is_evicted_to_make_room(self):
        with self.assertLogs(session_store._logger, "ERROR"), self.assertRaises(SessionStoreFull):
            self.store.save(self.store.new())

        self.assertEqual(self.keys, self.client.dbsize())
        self.assertEqual(0, self.client.info("stats")["evicted_keys"])

    def test_logging_out_frees_the_session_it_held(self):
        self.store.delete(self.user)

        self.assertIsNone(self.client.get(self.store.key(self.user.sid)))


if __name__ == "__main__":
    unittest.main()
