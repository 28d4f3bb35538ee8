// The page's event bus: panels never call each other, they announce and listen.
//
// Events (detail):
//   session-selected {id}            a session was chosen (sidebar click, hash change, new chat); id may be null
//   session-loaded   {session}       chat fetched the session's metadata (carries workspace, model, ...)
//   session-updated  {session}       any change to a session's compact fields (title, pin, usage, streaming, ...)
//   session-created  {session}       a new session exists (new chat, branch)
//   session-removed  {id}            deleted or archived out of the current view
//   focus-search     {}              Ctrl/Cmd+K
//   new-chat         {}              Ctrl/Cmd+Shift+O or the New chat button
//   stop             {}              Esc: stop the running turn
//   toggle-workspace {}              show/hide the workspace panel
//   toggle-sidebar   {}              show/hide the session sidebar (phone: drawer)
//   open-admin       {}              the account menu's Admin: show the admin view (/admin)

const target = new EventTarget();

export function on(name, handler) {
  const listener = (event) => handler(event.detail || {});
  target.addEventListener(name, listener);
  return () => target.removeEventListener(name, listener);
}

export function emit(name, detail = {}) {
  target.dispatchEvent(new CustomEvent(name, { detail }));
}
