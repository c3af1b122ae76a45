"""A small, real OpenID Connect provider for the tests, served over HTTP from a thread.

It does what a relying party meets at Microsoft Entra ID, and checks what a provider checks: discovery, JWKS,
the authorization endpoint (a login form, then a single sign-on session in its own cookie), the token endpoint
(client authentication with HTTP Basic, each code usable once and for 60 s, the redirect URI, PKCE S256 against
the verifier), RS256-signed ID tokens, and RP-initiated logout (the ``id_token_hint``'s signature checked, the
``post_logout_redirect_uri`` registered, the provider's session ended).

Unlike a mock from a package index it can also misbehave on purpose, one token at a time: ``fault`` set to
``expired``, ``wrong_key`` (signed by another key under the provider's key id), ``unsigned`` (``alg: none``),
``wrong_nonce``, ``wrong_aud``, ``wrong_iss`` or ``no_id_token`` makes the next ID token so. Every token request
and logout is recorded for the tests to look at.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from flask import Flask, jsonify, redirect, render_template_string, request
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

CODE_SECONDS = 60
LOGIN_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider</title></head>
<body><main><h1>Sign in to the test provider</h1>
<form method="post" action="/authorize">
{% for k, v in params.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
<label for="username">Provider user name</label> <input id="username" name="username" autocomplete="off">
<button type="submit">Sign in at the provider</button></form></main></body></html>"""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Provider:
    """The provider's state: its users, its one client, codes, sessions and what it was asked."""

    client_id: str = "portal-test-client"
    client_secret: str = field(default_factory=lambda: "csecret-" + secrets.token_hex(16))
    redirect_uris: list[str] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> extra claims (roles, groups …)
    offer_logout: bool = True
    fault: str | None = None
    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True))
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"},
                                                                         private=True))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # the provider's own SSO cookie -> user name
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    logouts: list[dict[str, Any]] = field(default_factory=list)
    logins: int = 0  # how many times the login form was posted

    # --- what the tests call ---------------------------------------------------------------------------------

    def sign_in(self, authorize_url: str, username: str, browser: requests.Session | None = None) -> str:
        """Play the browser at the provider: open *authorize_url*, sign in as *username* (unless the browser's
        provider session already has) and return where the provider sends the browser back to."""
        browser = browser or requests.Session()
        r = browser.get(authorize_url, allow_redirects=False, timeout=10)
        if r.status_code == 302:
            return r.headers["Location"]
        assert r.status_code == 200, r.text
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        r = browser.post(self.url + "/authorize", data={**params, "username": username}, allow_redirects=False,
                         timeout=10)
        assert r.status_code == 302, r.text
        return r.headers["Location"]

    def id_token(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        """An RS256 ID token with *claims*, signed by the provider's key (or *key*)."""
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key or self.key)

    # --- the provider's side -----------------------------------------------------------------------------------

    def _claims(self, code: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.url, "sub": "sub-" + hashlib.sha256(code["user"].encode()).hexdigest()[:16],
                  "aud": self.client_id, "iat": now, "exp": now + 300, "nonce": code["nonce"],
                  "preferred_username": code["user"], "name": "Förnamn Efternamn-MARKER-NAME",
                  "email": f"{code['user']}@MARKER-EMAIL.example"}
        claims.update(self.users.get(code["user"], {}))
        fault = self.fault
        if fault == "expired":
            claims.update(iat=now - 900, exp=now - 600)
        elif fault == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif fault == "wrong_aud":
            claims["aud"] = "some-other-client"
        elif fault == "wrong_iss":
            claims["iss"] = "https://evil.example"
        return claims

    def _id_token(self, claims: dict[str, Any]) -> str | None:
        fault, self.fault = self.fault, None
        if fault == "no_id_token":
            return None
        if fault == "unsigned":
            header = _b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        return self.id_token(claims, self.other_key if fault == "wrong_key" else None)

    def app(self) -> Flask:
        """The provider as a Flask app."""
        app = Flask("test-oidc-provider")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            doc = {"issuer": self.url, "authorization_endpoint": self.url + "/authorize",
                   "token_endpoint": self.url + "/token", "jwks_uri": self.url + "/jwks",
                   "response_types_supported": ["code"], "subject_types_supported": ["public"],
                   "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                   "token_endpoint_auth_methods_supported": ["client_secret_basic"]}
            if self.offer_logout:
                doc["end_session_endpoint"] = self.url + "/logout"
            return jsonify(doc)

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            p = request.values
            if p.get("client_id") != self.client_id or p.get("redirect_uri") not in self.redirect_uris:
                return "unknown client or redirect_uri", 400
            back = p["redirect_uri"]
            if p.get("response_type") != "code" or "openid" not in p.get("scope", "").split() \
                    or p.get("code_challenge_method") != "S256" or not p.get("code_challenge") \
                    or not p.get("nonce") or not p.get("state"):
                return redirect(back + "?" + urlencode({"error": "invalid_request", "state": p.get("state", "")}))
            user = self.sessions.get(request.cookies.get("op_sid", ""))
            if request.method == "POST":
                user = p.get("username", "")
                self.logins += 1
                if user not in self.users:
                    return redirect(back + "?" + urlencode({"error": "access_denied", "state": p["state"]}))
            if user is None:
                return render_template_string(LOGIN_FORM, params={k: p[k] for k in p if k != "username"})
            code = secrets.token_urlsafe(24)
            self.codes[code] = {"user": user, "nonce": p["nonce"], "challenge": p["code_challenge"],
                                "redirect_uri": back, "at": time.time(), "used": False}
            response = redirect(back + "?" + urlencode({"code": code, "state": p["state"]}))
            if request.method == "POST":
                sid = secrets.token_urlsafe(16)
                self.sessions[sid] = user
                response.set_cookie("op_sid", sid, httponly=True, samesite="Lax")
            return response

        @app.post("/token")
        def token() -> Any:
            auth = request.authorization
            self.token_requests.append({"basic": auth is not None, "form": dict(request.form)})
            if auth is None or auth.username != self.client_id or auth.password != self.client_secret:
                return jsonify(error="invalid_client"), 401
            code = self.codes.get(request.form.get("code", ""))
            if request.form.get("grant_type") != "authorization_code" or code is None or code["used"] \
                    or time.time() - code["at"] > CODE_SECONDS:
                return jsonify(error="invalid_grant"), 400
            code["used"] = True
            verifier = request.form.get("code_verifier", "")
            if request.form.get("redirect_uri") != code["redirect_uri"] or \
                    _b64(hashlib.sha256(verifier.encode()).digest()) != code["challenge"]:
                return jsonify(error="invalid_grant", error_description="PKCE or redirect_uri"), 400
            answer = {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300}
            id_token = self._id_token(self._claims(code))
            if id_token is not None:
                answer["id_token"] = id_token
            return jsonify(answer)

        @app.get("/logout")
        def logout() -> Any:
            hint = request.args.get("id_token_hint", "")
            try:
                claims = jwt.decode(hint, self.key).claims
            except Exception:
                return "id_token_hint is not ours", 400
            back = request.args.get("post_logout_redirect_uri", "")
            if back and back not in self.redirect_uris:
                return "post_logout_redirect_uri is not registered", 400
            self.logouts.append({"user": claims.get("preferred_username"), "back": back,
                                 "client_id": request.args.get("client_id")})
            self.sessions.pop(request.cookies.get("op_sid", ""), None)
            response = redirect(back + ("?" + urlencode({"state": request.args["state"]})
                                        if request.args.get("state") else "")) if back else ("Signed out", 200)
            if back:
                response.delete_cookie("op_sid")
            return response

        return app


@contextmanager
def running_provider(**kwargs: Any) -> Iterator[Provider]:
    """A :class:`Provider` served on a free loopback port for the length of the block."""
    provider = Provider(**kwargs)
    server = make_server("127.0.0.1", 0, provider.app(), threaded=True)
    provider.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
