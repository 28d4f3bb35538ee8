// Which session is open, which models exist. The URL hash (#/s/<id>) holds the open session so a reload
// (or a shared link) comes back to it.

import * as api from "./api.js";
import { emit, on } from "./bus.js";

export const state = {
  sessionId: null,
  session: null, // the compact fields of the open session, kept fresh from session-loaded/updated
  models: { default_model: null, groups: [] },
};

export function sessionFromHash() {
  const match = location.hash.match(/^#\/s\/([A-Za-z0-9_-]{1,64})$/);
  return match ? match[1] : null;
}

export function selectSession(id, { replace = false } = {}) {
  if (id === state.sessionId) return;
  state.sessionId = id;
  state.session = null;
  const hash = id ? `#/s/${id}` : "#/";
  if (location.hash !== hash) {
    if (replace) history.replaceState(null, "", hash);
    else history.pushState(null, "", hash);
  }
  emit("session-selected", { id });
}

/** Create a session (the current model and workspace carry over) and open it. */
export async function newChat() {
  if (state.session && state.session.message_count === 0 && !state.session.is_streaming) {
    emit("session-selected", { id: state.sessionId }); // already on an empty chat: focus it
    return state.session;
  }
  const body = {};
  if (state.session?.model) body.model = state.session.model;
  else if (state.models.default_model) body.model = state.models.default_model;
  if (state.session?.workspace) body.workspace = state.session.workspace;
  const { session } = await api.post("/api/session/new", body);
  emit("session-created", { session });
  selectSession(session.session_id);
  return session;
}

export async function loadModels() {
  try {
    state.models = await api.get("/api/models");
  } catch {
    state.models = { default_model: null, groups: [] };
  }
  return state.models;
}

export function modelLabel(id) {
  for (const group of state.models.groups || []) {
    for (const model of group.models || []) if (model.id === id) return model.label || model.id;
  }
  return id || "";
}

on("session-loaded", ({ session }) => {
  if (session && session.session_id === state.sessionId) state.session = { ...state.session, ...session };
});
on("session-updated", ({ session }) => {
  if (session && session.session_id === state.sessionId) state.session = { ...state.session, ...session };
});

window.addEventListener("popstate", () => {
  const id = sessionFromHash();
  if (id !== state.sessionId) {
    state.sessionId = id;
    state.session = null;
    emit("session-selected", { id });
  }
});
