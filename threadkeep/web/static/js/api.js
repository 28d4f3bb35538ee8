// The public HTTP API, as the page uses it. Every failure becomes an ApiError carrying the server's
// {"error": "..."} text (or a network message), so callers show it as is.

export class ApiError extends Error {
  constructor(message, status = 0, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

async function request(method, path, { params, body, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
  }
  const init = { method, signal, headers: {} };
  if (body !== undefined) {
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
  if (!reply.ok) {
    const data = await reply.json().catch(() => null);
    throw new ApiError((data && data.error) || `${reply.status} ${reply.statusText}`, reply.status, data);
  }
  return reply;
}
