// The public HTTP API, as the page uses it. Every failure becomes an ApiError carrying the server's
// {"error": "..."} text (or a network message), so callers show it as is.
//
// A browser login must echo its CSRF token (from /api/auth/me) in X-CSRF-Token on every change:
// `startSession()` fetches it once, before anything posts, and `csrfHeaders()` hands it to the page's own
// XHR/fetch calls. A 401 means the login ended (logged out elsewhere, disabled, expired): go to /login.

export class ApiError extends Error {
  constructor(message, status = 0, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

let csrfToken = null;
let leaving = false;

/** Who is logged in ({user, csrf_token, method, scope, mode}); keeps the CSRF token for later calls. */
export async function startSession() {
  const me = await get("/api/auth/me");
  csrfToken = me.csrf_token || null;
  return me;
}

/** Headers a state-changing request needs (empty without a browser login, e.g. in `--auth none`). */
export function csrfHeaders() {
  return csrfToken ? { "X-CSRF-Token": csrfToken } : {};
}

/** Leave for the login screen, coming back here afterwards. */
export function toLogin() {
  if (leaving) return;
  leaving = true;
  const here = location.pathname + location.search + location.hash;
  location.assign(here === "/" ? "/login" : `/login?next=${encodeURIComponent(here)}`);
}

/** The login ended: go and log in again; callers wait forever instead of showing an error on the way out. */
export function loginEnded() {
  toLogin();
  return new Promise(() => {});
}

async function request(method, path, { params, body, signal, allow401 = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
  }
  const init = { method, signal, headers: method === "GET" ? {} : csrfHeaders() };
  if (body instanceof FormData) {
    init.body = body; // multipart (uploads): the browser sets the boundary
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let reply;
  try {
    reply = await fetch(url, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("Cannot reach the threadkeep server. Is it still running?", 0);
  }
  const type = reply.headers.get("content-type") || "";
  const data = type.includes("json") ? await reply.json().catch(() => null) : null;
  if (reply.status === 401 && !allow401) return loginEnded();
  if (!reply.ok) {
    throw new ApiError((data && data.error) || `${reply.status} ${reply.statusText}`, reply.status, data);
  }
  if (data && typeof data === "object" && data.error && !("ok" in data && data.ok)) {
    // hermes-compatible verbs answer 200 {"error": ...} when there is nothing to do (retry/undo).
    throw new ApiError(data.error, reply.status, data);
  }
  return data === null ? reply : data;
}

export const get = (path, params, opts = {}) => request("GET", path, { ...opts, params });
export const post = (path, body = {}, opts = {}) => request("POST", path, { ...opts, body });

/** Raw fetch of a file (text/blob) with the same error handling. */
export async function fetchRaw(path, params) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) url.searchParams.set(key, String(value));
  let reply;
  try {
    reply = await fetch(url);
  } catch {
    throw new ApiError("Cannot reach the threadkeep server. Is it still running?", 0);
  }
  if (reply.status === 401) return loginEnded();
  if (!reply.ok) {
    const data = await reply.json().catch(() => null);
    throw new ApiError((data && data.error) || `${reply.status} ${reply.statusText}`, reply.status, data);
  }
  return reply;
}
