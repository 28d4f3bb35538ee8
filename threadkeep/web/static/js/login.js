// The login screen (/login): asks /api/auth/status which ways in this server offers (username + password,
// password alone, single sign-on), logs in, then goes to ?next= (a path on this server only). Shows the
// server's error, a lockout with a live countdown, and an SSO failure sent back as ?error=.

import * as api from "./api.js";
import "./theme.js";

const $ = (id) => document.getElementById(id);
const card = document.querySelector(".login-card");
const form = $("login-form");
const username = $("username");
const password = $("password");
const submit = $("login-submit");
const message = $("login-message");
const params = new URLSearchParams(location.search);
let status = null;
let lockTimer = null;

/** Where to go after logging in: a same-site path only (never "//host" or a full URL), and never back here. */
export function safeNext(raw) {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return "/";
  if (raw === "/login" || raw.startsWith("/login?") || raw.startsWith("/login#")) return "/";
  return raw;
}

// A link to a chat (/#/s/<id>) keeps its hash through the server's redirect to /login: come back to it.
const next = safeNext(params.get("next") || (location.hash.startsWith("#/") ? `/${location.hash}` : null));

function say(text, kind = "error") {
  message.hidden = !text;
  message.dataset.kind = kind;
  message.replaceChildren(text || "");
}

const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;

/** Locked out: say so with a countdown; the button comes back when it reaches zero. */
function lockedOut(text, seconds) {
  clearInterval(lockTimer);
  const account = /account/i.test(text);
  const head = (text.split(":")[0] || "Too many failed logins").trim();
  const left = document.createElement("strong");
  left.className = "login-countdown";
  left.setAttribute("aria-live", "off");
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const remaining = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    left.textContent = clock(remaining);
    if (remaining > 0) return;
    clearInterval(lockTimer);
    lockTimer = null;
    submit.disabled = false;
    say("You can try again now.", "info");
    password.focus();
  };
  say(null);
  message.hidden = false;
  message.dataset.kind = "lock";
  message.replaceChildren(`${head}. Try again in `, left,
    account ? ", or ask an admin to reset your password." : ".");
  submit.disabled = true;
  tick();
  lockTimer = setInterval(tick, 1000);
}

async function logIn(event) {
  event.preventDefault();
  if (lockTimer) return;
  const needName = status.username_required;
  if (needName && !username.value.trim()) {
    say("Enter your username.");
    username.focus();
    return;
  }
  if (!password.value) {
    say("Enter your password.");
    password.focus();
    return;
  }
  submit.disabled = true;
  submit.textContent = "Logging in…";
  const body = needName ? { username: username.value.trim(), password: password.value } : { password: password.value };
  try {
    await api.post("/api/auth/login", body, { allow401: true });
    submit.textContent = "Logged in";
    location.replace(next);
    return;
  } catch (err) {
    submit.textContent = "Log in";
    submit.disabled = false;
    password.value = "";
    if (err.status === 429) lockedOut(err.message, Number(err.body?.retry_after) || 30);
    else say(err.message);
    password.focus();
  }
}

function show(st) {
  status = st;
  const passwordLogin = st.password_login !== false;
  $("login-lead").textContent = st.mode === "password"
    ? "Enter the password of this threadkeep."
    : "Your agent chats, on your own server.";
  form.hidden = !passwordLogin;
  $("username-field").hidden = !st.username_required;
  if (st.oidc) {
    const link = $("login-sso-button");
    link.textContent = st.oidc_label || "Single sign-on";
    link.href = `/api/auth/oidc/login?next=${encodeURIComponent(next)}`;
    $("login-sso").hidden = false;
    $("login-or").hidden = !passwordLogin;
  }
  const error = params.get("error");
  if (error) say(error.slice(0, 300));
  card.dataset.state = "ready";
  (st.username_required ? username : password).focus();
  document.documentElement.dataset.ready = "true";
}

async function start() {
  form.addEventListener("submit", logIn);
  let st;
  try {
    st = await api.get("/api/auth/status", {}, { allow401: true });
  } catch (err) {
    card.dataset.state = "ready";
    say(err.message);
    document.documentElement.dataset.ready = "true";
    return;
  }
  if (!st.auth_enabled || st.mode === "none") {
    location.replace("/");
    return;
  }
  if (st.logged_in) {
    location.replace(next);
    return;
  }
  show(st);
}

start();
