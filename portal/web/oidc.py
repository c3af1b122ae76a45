"""Signing in with the municipality's identity provider: OpenID Connect through Authlib.

Configured by the environment (or the app's config without the ``PORTAL_`` prefix):

* ``PORTAL_OIDC_ISSUER``: the provider's issuer; its discovery document is read from
  ``ISSUER/.well-known/openid-configuration`` at the first login (not at start, so an absent provider never stops
  the app) and must name the same issuer. Microsoft Entra ID: ``https://login.microsoftonline.com/TENANT/v2.0``.
* ``PORTAL_OIDC_CLIENT_ID`` and ``PORTAL_OIDC_CLIENT_SECRET`` (sent with HTTP Basic to the token endpoint; never
  logged, never shown). Without a secret the client is a public one (PKCE alone).
* ``PORTAL_OIDC_ROLE_CLAIM`` (default ``roles``, Entra's app roles; or ``groups``) and ``PORTAL_OIDC_ROLE_MAP``
  (``kc-agent=agent,kb-editor=editor,kb-admin=admin``): a user gets the highest role any of the claim's values
  maps to, and with none of them no session at all (a 403 page, "Ingen behörighet"), never a default role.
* ``PORTAL_OIDC_USERNAME_CLAIM`` (default ``preferred_username``, then ``email``, then ``sub``): the name the
  app shows and the audit trail keeps (no other claim is stored), ``PORTAL_OIDC_SCOPES`` (default
  ``openid profile``), ``PORTAL_OIDC_LABEL`` (the login button), ``PORTAL_OIDC_REDIRECT_URI`` (default: this
  app's ``/agent/auth/callback`` as the request sees it).

The flow: ``/agent/auth/login`` sends the browser to the provider with ``state``, a ``nonce`` and a PKCE
challenge (S256), kept in the signed session cookie; ``/agent/auth/callback`` checks the state, exchanges the code
(with the verifier and the client secret) and validates the ID token: its signature with the provider's JWKS,
``iss``, ``aud``, ``exp``, ``iat`` and the ``nonce``. The session that follows is the app's own server-side
session (:mod:`portal.web.sessions`, with the role and the ID token kept beside it): logging out, the users page
and ``portal users end-sessions`` end it like any other, and logging out also sends the browser to the provider's
``end_session_endpoint`` (with ``id_token_hint`` and ``post_logout_redirect_uri``) when its discovery lists one.
Every outcome goes to the audit trail. Plain ``http://`` providers are refused unless they are on this machine
(Authlib's rule; ``AUTHLIB_INSECURE_TRANSPORT`` lifts it for tests only).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, session, url_for

from portal.exceptions import ConfigError
from portal.web.accounts import RANK, ROLES
from portal.web.audit import audit
from portal.web.auth import safe_next, sign_in
from portal.web.security import CSP

bp = Blueprint("oidc", __name__, url_prefix="/agent/auth")
NAME = "oidc"  # the Authlib client's name (its state keys in the session: _state_oidc_…)
KEYS = ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "ROLE_CLAIM", "ROLE_MAP", "USERNAME_CLAIM", "SCOPES", "LABEL",
        "REDIRECT_URI")
DEFAULTS = {"ROLE_CLAIM": "roles", "USERNAME_CLAIM": "preferred_username", "SCOPES": "openid profile",
            "LABEL": "Logga in med kommunens konto"}
LEEWAY_S = 60  # clock difference allowed between the provider and this server
TIMEOUT_S = 10  # for each request to the provider: a slow provider must not hold a worker for long
MAX_NAME = 100


@dataclass
class Provider:
    """The configured identity provider and its Authlib client."""

    issuer: str
    client_id: str
    role_claim: str
    role_map: dict[str, str]
    username_claim: str
    label: str
    redirect_uri: str | None
    client: Any = field(repr=False)  # never printed: it holds the client secret

    def metadata(self) -> dict[str, Any]:
        """The discovery document (read once, then kept); a ConfigError when it names another issuer."""
        data = self.client.load_server_metadata()
        if str(data.get("issuer", "")).rstrip("/") != self.issuer.rstrip("/"):
            self.client.server_metadata.clear()  # read again next time: the provider may be fixed meanwhile
            raise ConfigError(f"the identity provider's discovery document names the issuer "
                              f"'{str(data.get('issuer'))[:200]}', not PORTAL_OIDC_ISSUER '{self.issuer}'")
        return data  # type: ignore[no-any-return]

    def end_session_url(self, id_token: str) -> str | None:
        """Where the browser ends its session at the provider (RP-initiated logout), or None when the provider
        lists no ``end_session_endpoint`` or cannot be reached."""
        try:
            if not self.metadata().get("end_session_endpoint"):
                return None
            return str(self.client.create_logout_url(post_logout_redirect_uri=_external("auth.login"),
                                                     id_token_hint=id_token, client_id=self.client_id)["url"])
        except Exception as exc:  # the local session ends anyway
            current_app.logger.warning("could not send the browser to the identity provider's logout: %s",
                                       type(exc).__name__)
            return None


def parse_role_map(text: str) -> dict[str, str]:
    """``value=role,…`` as a mapping; a ConfigError naming the first bad entry."""
    table: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in str(text or "").split(","))):
        value, sep, role = (part.strip() for part in entry.rpartition("="))
        if not sep or not value or role not in ROLES:
            raise ConfigError(f"PORTAL_OIDC_ROLE_MAP: '{entry}' is not VALUE=ROLE with a role of {', '.join(ROLES)} "
                              "(e.g. kc-agent=agent,kb-editor=editor,kb-admin=admin)")
        table[value] = role
    if not table:
        raise ConfigError("PORTAL_OIDC_ROLE_MAP is empty: without it nobody signing in gets a role (e.g. "
                          "kc-agent=agent,kb-editor=editor,kb-admin=admin)")
    return table


def mapped_role(claims: dict[str, Any], claim: str, role_map: dict[str, str]) -> str | None:
    """The highest role the values of *claim* map to, or None when none of them does."""
    values = claims.get(claim)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return None
    roles = [role_map[v] for v in values if isinstance(v, str) and v in role_map]
    return max(roles, key=RANK.__getitem__) if roles else None


def user_name(claims: dict[str, Any], claim: str) -> str | None:
    """The user's name from *claim* (else ``email``, else ``sub``): printable, at most MAX_NAME characters."""
    for key in (claim, "email", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip() and value.isprintable() and len(value) <= MAX_NAME:
            return value.strip()
    return None


def _origin(url: object) -> str | None:
    found = re.match(r"^https?://[^/?#]+", str(url or ""))
    return found.group(0) if found else None


def _logout_may_leave(response: Response) -> Response:
    """The agent app's pages hold the logout form, whose answer sends the browser on to the provider's logout:
    the pages' ``form-action`` must allow the provider's origin (the issuer's, and the ``end_session_endpoint``'s
    once discovery has been read), or Chromium stops the redirect. Answers with a policy of their own (an
    attachment's) keep it."""
    if "Content-Security-Policy" in response.headers or not request.path.startswith("/agent"):
        return response
    idp = provider()
    origins = {_origin(idp.issuer), _origin(idp.client.server_metadata.get("end_session_endpoint"))} - {None}
    response.headers["Content-Security-Policy"] = CSP.replace(
        "form-action 'self'", "form-action 'self' " + " ".join(sorted(o for o in origins if o)))
    return response


def _external(endpoint: str) -> str:
    """An absolute URL of *endpoint*: beside OIDC_REDIRECT_URI when it is set, else as the request sees the app."""
    fixed = current_app.config.get("OIDC_REDIRECT_URI")
    if fixed:
        origin = re.match(r"^[a-z]+://[^/]+", str(fixed))
        if origin:
            return origin.group(0) + url_for(endpoint)
    return url_for(endpoint, _external=True)


def provider() -> Provider:
    """The current app's identity provider (only called where one is configured)."""
    return current_app.extensions["portal_oidc"]  # type: ignore[no-any-return]


# --- views ------------------------------------------------------------------------------------------------------

def _failed(detail: str, status: int, title: str, message: str, actor: str = "anonymous") -> Any:
    audit("login_failed", actor=actor, detail=detail, via="oidc")
    return render_template("agent/message.html", title=title, message=message, site=None, status=status,
                           retry=url_for("auth.login")), status


UNAVAILABLE = ("Kommunens inloggning svarar inte", "Det gick inte att nå kommunens inloggning just nu. Försök igen "
               "om en stund, eller logga in med ett lokalt konto om du har ett.")


@bp.get("/login")
def login() -> Any:
    """Send the browser to the identity provider (with state, nonce and a PKCE challenge)."""
    idp = provider()
    redirect_uri = current_app.config.get("OIDC_REDIRECT_URI") or url_for("oidc.callback", _external=True)
    try:
        idp.metadata()
        authorization = idp.client.create_authorization_url(redirect_uri)
    except Exception as exc:
        current_app.logger.warning("the identity provider cannot be reached or is misconfigured: %s: %s",
                                   type(exc).__name__, str(exc)[:300])
        return _failed("provider unavailable", 503, *UNAVAILABLE)
    url = authorization.pop("url")
    idp.client.save_authorize_data(redirect_uri=redirect_uri, next=safe_next(request.args.get("next")),
                                   **authorization)
    return redirect(url)


@bp.get("/callback")
def callback() -> Any:
    """Back from the provider: check the state, exchange the code, validate the ID token, map the role, sign in."""
    from authlib.integrations.base_client import MismatchingStateError, OAuthError
    from joserfc.errors import JoseError
    from requests import RequestException

    idp = provider()
    pending = idp.client.framework.get_state_data(session, request.args.get("state")) or {}
    retry = "Börja om från inloggningssidan."
    try:
        token = idp.client.authorize_access_token(claims_options=_claims_options(idp), leeway=LEEWAY_S)
    except MismatchingStateError:
        return _failed("wrong state", 400, "Inloggningen gick inte att slutföra",
                       "Inloggningen hörde inte till den här webbläsaren eller hade redan använts. " + retry)
    except OAuthError as exc:
        code = re.sub(r"[^a-z_]", "", str(exc.error or "error").lower())[:40]
        return _failed(f"provider said {code}", 401, "Inloggningen gick inte att slutföra",
                       "Kommunens inloggning godkände inte inloggningen. " + retry)
    except JoseError as exc:
        claim = getattr(exc, "claim", None)
        return _failed(f"id token refused: {exc.error}" + (f" ({claim})" if claim else ""), 401,
                       "Inloggningen gick inte att slutföra", "Svaret från kommunens inloggning gick inte att lita "
                       "på (ogiltig eller utgången identitetstoken). " + retry)
    except (RequestException, ConfigError, RuntimeError, ValueError, KeyError) as exc:
        current_app.logger.warning("the identity provider's answer could not be used: %s: %s", type(exc).__name__,
                                   str(exc)[:300])
        return _failed("provider unavailable", 503, *UNAVAILABLE)
    claims = token.get("userinfo")
    if not claims or not token.get("id_token"):
        return _failed("no id token", 401, "Inloggningen gick inte att slutföra",
                       "Kommunens inloggning skickade ingen identitetstoken. " + retry)
    name = user_name(claims, idp.username_claim)
    if name is None:
        return _failed("no user name", 401, "Inloggningen gick inte att slutföra",
                       "Kommunens inloggning skickade inget användarnamn. " + retry)
    role = mapped_role(claims, idp.role_claim, idp.role_map)
    if role is None:
        audit("login_denied", actor=name, detail=f"no mapped value in {idp.role_claim}", via="oidc")
        return render_template("agent/noaccess.html", name=name, site=None,
                               provider_logout=idp.end_session_url(token["id_token"])), 403
    sign_in(name, "oidc", role=role, id_token=token["id_token"])  # the database cannot write: a 503 page
    return redirect(safe_next(pending.get("next")))


def _claims_options(idp: Provider) -> dict[str, Any]:
    return {"iss": {"essential": True, "value": idp.metadata()["issuer"]},
            "aud": {"essential": True, "value": idp.client_id},
            "exp": {"essential": True}, "iat": {"essential": True}, "sub": {"essential": True}}


# --- setup ------------------------------------------------------------------------------------------------------

def _setting(app: Flask, key: str) -> str:
    value = app.config.get(f"OIDC_{key}")
    if value is None:
        value = os.environ.get(f"PORTAL_OIDC_{key}") or DEFAULTS.get(key, "")
    app.config[f"OIDC_{key}"] = value
    return str(value or "")


def init_app(app: Flask) -> None:
    """Read the OIDC_* settings; with an issuer, register the provider's client and the login routes (a
    ConfigError for an incomplete or wrong configuration, so the app never starts half-configured)."""
    settings = {key: _setting(app, key) for key in KEYS}
    if not settings["ISSUER"] or app.config.get("FREEZING"):
        return
    if not settings["CLIENT_ID"]:
        raise ConfigError("PORTAL_OIDC_ISSUER is set but PORTAL_OIDC_CLIENT_ID is not: register the app with the "
                          "identity provider and set both (docs/production.md, \"Signing in with the identity "
                          "provider\")")
    role_map = parse_role_map(settings["ROLE_MAP"])
    if "openid" not in settings["SCOPES"].split():
        raise ConfigError(f"PORTAL_OIDC_SCOPES must include 'openid' (it is '{settings['SCOPES']}')")
    from authlib.integrations.flask_client import OAuth

    issuer = settings["ISSUER"].rstrip("/")
    oauth = OAuth(app)
    client = oauth.register(
        NAME, client_id=settings["CLIENT_ID"], client_secret=settings["CLIENT_SECRET"] or None,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": settings["SCOPES"], "code_challenge_method": "S256", "default_timeout": TIMEOUT_S,
                       "token_endpoint_auth_method": "client_secret_basic" if settings["CLIENT_SECRET"] else "none"})
    app.extensions["portal_oidc"] = Provider(
        issuer=settings["ISSUER"], client_id=settings["CLIENT_ID"], role_claim=settings["ROLE_CLAIM"],
        role_map=role_map, username_claim=settings["USERNAME_CLAIM"], label=settings["LABEL"],
        redirect_uri=settings["REDIRECT_URI"] or None, client=client)
    app.register_blueprint(bp)
    app.after_request(_logout_may_leave)
