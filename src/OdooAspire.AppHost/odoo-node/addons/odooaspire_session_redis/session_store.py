"""A Redis-backed replacement for Odoo 18's FilesystemSessionStore.

Sessions are the JSON of Odoo's session dict under ``<prefix><sid>`` (default ``odoo:session:``), expiring
after Odoo's SESSION_LIFETIME of inactivity: every read renews the expiry (GETEX), so the lifetime slides.
The OdooAspire stand-in reads and writes the same keys, so both kinds of node share sessions.

A session that holds nothing beyond what Odoo gives any visitor (get_default_session(), no user) gets a
short sliding lifetime instead. Odoo stores one on every websocket handshake, even an anonymous one, only so
the websocket can re-read it; kept for 7 days, each handshake would pin memory for a week.

When Redis cannot be reached, or is full (maxmemory with noeviction refuses writes), a request fails with
503 and a log line. Handing out a fresh, empty session instead would log every user out for good.
"""

import base64
import json
import logging
import os
import re
import time
from hashlib import sha512

import redis

_logger = logging.getLogger(__name__)

URL_VARIABLE = "ODOOASPIRE_SESSION_REDIS_URL"
KEY_PREFIX_VARIABLE = "ODOOASPIRE_SESSION_KEY_PREFIX"
LIFETIME_VARIABLE = "ODOOASPIRE_SESSION_LIFETIME"
ANONYMOUS_LIFETIME_VARIABLE = "ODOOASPIRE_SESSION_ANONYMOUS_LIFETIME"
DEFAULT_KEY_PREFIX = "odoo:session:"
# odoo.http.SESSION_LIFETIME
DEFAULT_LIFETIME = 60 * 60 * 24 * 7
# Losing a visitor's default-only session costs one websocket reconnect, which stores a new one.
DEFAULT_ANONYMOUS_LIFETIME = 60 * 60
# What Odoo sets for any visitor: db from the dbfilter, debug from the URL, the bus's marker on an anonymous
# poll (peek_notifications); the context then holds the lang only.
_VISITOR_KEYS = {"db", "debug", "is_websocket_session"}
_VISITOR_CONTEXT_KEYS = {"lang"}

# Sets a session's lifetime only if it still holds the given value: a read must not shorten a session that
# another request just put a cart into, and a full store can still renew a session whose save changes nothing.
_EXPIRE_IF_UNCHANGED = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

_base64_urlsafe_re = re.compile(r"^[A-Za-z0-9_-]{84}$")
_session_identifier_re = re.compile(r"^[A-Za-z0-9_-]{42}$")


class SessionStoreUnavailable(Exception):
    """Redis did not answer. Odoo answers the request with ``error_response``: 503, whatever the route type."""

    # Application.__call__ logs an exception at its ``loglevel``.
    loglevel = logging.ERROR

    @property
    def error_response(self):
        from werkzeug.wrappers import Response

        return Response(str(self), status=503, mimetype="text/plain")


class SessionStoreFull(SessionStoreUnavailable):
    """Redis is at its maxmemory and refuses new data; the sessions it holds can still be read."""


class RedisSessionStore:
    """Odoo 18's session store API (odoo/http.py, FilesystemSessionStore) over one Redis database."""

    def __init__(self, client, session_class, default_session, key_prefix=DEFAULT_KEY_PREFIX, lifetime=DEFAULT_LIFETIME,
                 anonymous_lifetime=DEFAULT_ANONYMOUS_LIFETIME, renew_missing=True):
        self.client = client
        self.session_class = session_class
        self.default_session = default_session
        self.key_prefix = key_prefix
        self.lifetime = lifetime
        self.anonymous_lifetime = anonymous_lifetime
        self.renew_missing = renew_missing
        self._expire_if_unchanged = client.register_script(_EXPIRE_IF_UNCHANGED)

    @classmethod
    def from_environment(cls, session_class, default_session, environ=os.environ):
        url = environ.get(URL_VARIABLE)
        if not url:
            raise RuntimeError(f"{URL_VARIABLE} is not set: the OdooAspire AppHost passes the session store's redis:// URL")
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30)
        return cls(
            client,
            session_class,
            default_session,
            key_prefix=environ.get(KEY_PREFIX_VARIABLE, DEFAULT_KEY_PREFIX),
            lifetime=int(environ.get(LIFETIME_VARIABLE, DEFAULT_LIFETIME)),
            anonymous_lifetime=int(environ.get(ANONYMOUS_LIFETIME_VARIABLE, DEFAULT_ANONYMOUS_LIFETIME)),
        )

    def key(self, sid):
        return f"{self.key_prefix}{sid}"

    def holds_only_defaults(self, data):
        """True for a session Odoo would give any visitor: no user, no cart, nothing beyond get_default_session()."""
        defaults = self.default_session()
        for name, value in data.items():
            if name == "context":
                if not isinstance(value, dict) or not value.keys() <= _VISITOR_CONTEXT_KEYS:
                    return False
            elif name not in _VISITOR_KEYS and (name not in defaults or value != defaults[name]):
                return False
        return True

    # -- werkzeug SessionStore API ------------------------------------------------------------------------

    def new(self):
        return self.session_class({}, self.generate_key(), True)

    def get(self, sid):
        if not self.is_valid_key(sid):
            return self.new()
        raw = self._call("read", self.client.getex, self.key(sid), ex=self.lifetime)
        if raw is None:
            # As Odoo's store with renew_missing: an unknown id gets a new session, never the caller's id.
            return self.new() if self.renew_missing else self.session_class({}, sid, False)
        try:
            data = json.loads(raw)
        except ValueError:
            _logger.warning("Session %s… holds no valid JSON; starting an empty one", sid[:8])
            data = {}
        if self.holds_only_defaults(data):
            # GETEX renewed it to the full lifetime while reading it: a visitor's session gets the short one back.
            self._call("read", self._expire_if_unchanged, keys=[self.key(sid)], args=[raw, self.anonymous_lifetime])
        return self.session_class(data, sid, False)

    def save(self, session):
        data = dict(session)
        key, value = self.key(session.sid), json.dumps(data)
        lifetime = self.anonymous_lifetime if self.holds_only_defaults(data) else self.lifetime
        try:
            self.client.set(key, value, ex=lifetime)
        except redis.exceptions.RedisError as exc:
            # Full, Redis refuses SET even for a session that did not change (Odoo saves one on every websocket
            # handshake and touch()); renewing it takes no memory, so only a new or changed session is refused.
            if not (_is_out_of_memory(exc) and self._renew_stored(key, value, lifetime)):
                raise self._failure("save", exc) from exc

    def _renew_stored(self, key, value, lifetime):
        """
        Full: renews the stored session instead of saving ``value`` when they differ at most in Odoo's device trace.
        ``_trace`` only spares Odoo a res.device log write it refreshes hourly for every user; refusing its save would
        answer each logged-in user 503 once an hour. Keeping the stored trace means Odoo logs the device again.
        """
        if self._call("save", self._expire_if_unchanged, keys=[key], args=[value, lifetime]):
            return True
        stored = self._call("read", self.client.get, key)
        if stored is None:
            return False
        try:
            same = _without_trace(json.loads(stored)) == _without_trace(json.loads(value))
        except ValueError:
            return False
        return same and bool(self._call("save", self._expire_if_unchanged, keys=[key], args=[stored, lifetime]))

    def save_if_modified(self, session):
        if session.is_dirty:
            self.save(session)

    def delete(self, session):
        self._call("delete", self.client.delete, self.key(session.sid))

    # -- Odoo's additions ---------------------------------------------------------------------------------

    def rotate(self, session, env):
        self.delete(session)
        session.sid = self.generate_key()
        if session.uid and env:
            from odoo.service import security

            session.session_token = security.compute_session_token(session, env)
        session.should_rotate = False
        self.save(session)

    def vacuum(self, max_lifetime=DEFAULT_LIFETIME):
        """Nothing to collect: Redis expires each session after ``lifetime`` seconds of inactivity."""

    def generate_key(self, salt=None):
        # Odoo 18's generate_key: 84 url-safe characters, the first 42 being the device log's identifier.
        key = str(time.time()).encode() + os.urandom(64)
        hash_key = sha512(key).digest()[:-1]  # prevent base64 padding
        return base64.urlsafe_b64encode(hash_key).decode("utf-8")

    def is_valid_key(self, key):
        return isinstance(key, str) and _base64_urlsafe_re.match(key) is not None

    def delete_from_identifiers(self, identifiers):
        """Removes every session whose id starts with one of ``identifiers`` (a revoked device)."""
        # Like Odoo: only well-formed identifiers, so nobody can delete other sessions with a pattern.
        patterns = [self.key(i) + "*" for i in identifiers if _session_identifier_re.match(i)]
        keys = [key for pattern in patterns for key in self._call("find", self._scan, pattern)]
        if keys:
            self._call("delete", self.client.delete, *keys)

    def _scan(self, pattern):
        return list(self.client.scan_iter(match=pattern, count=500))

    def _call(self, what, operation, *args, **kwargs):
        try:
            return operation(*args, **kwargs)
        except redis.exceptions.RedisError as exc:
            raise self._failure(what, exc) from exc

    def _failure(self, what, exc):
        """The logged exception that answers the request with 503: Redis full, or out of reach."""
        where = self.client.connection_pool.connection_kwargs
        redis_at = f"Redis at {where.get('host')}:{where.get('port')}"
        if _is_out_of_memory(exc):
            error = SessionStoreFull(
                f"Session store full: {redis_at} is at its maxmemory and refused to {what} a session ({exc}). "
                "Stored sessions still work; new ones are refused until sessions expire or maxmemory is raised.")
        else:
            error = SessionStoreUnavailable(
                f"Session store unavailable: could not {what} a session in {redis_at} ({exc}). Retry when it is back.")
        _logger.error(error.args[0])
        return error


def _is_out_of_memory(exc):
    # Redis's "OOM command not allowed when used memory > 'maxmemory'": a ResponseError in redis-py 4, its
    # OutOfMemoryError subclass (without the "OOM") in redis-py 5.
    return isinstance(exc, redis.exceptions.ResponseError) and "maxmemory" in str(exc)


def _without_trace(data):
    return {name: value for name, value in data.items() if name != "_trace"} if isinstance(data, dict) else data


def install():
    """post_load hook: every worker of this server uses the Redis store from now on."""
    import odoo.http

    store = RedisSessionStore.from_environment(odoo.http.Session, odoo.http.get_default_session)
    # Application.session_store is a lazy_property (no __set__): an instance attribute wins for good.
    odoo.http.root.session_store = store
    _logger.info("HTTP sessions in Redis (%s…, lifetime %ss, %ss for a visitor's default-only session, sliding)",
                 store.key_prefix, store.lifetime, store.anonymous_lifetime)
