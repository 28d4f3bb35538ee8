// The workspace panel: the open session's files. A lazily expanded tree; a preview (highlighted text,
// images, a clear word for binaries); an editor (Ctrl/Cmd+S saves); create, rename, delete; uploads by
// button or drag-and-drop. Everything the server refuses is shown with the server's own words.
//
// Listens: session-selected / session-loaded / session-updated (which workspace), workspace-changed
// {session_id} (the chat's tools touched files: refresh, debounced), toggle-workspace (focus on open).
// Emits: toggle-workspace (the Close button).

import * as api from "./api.js";
import { emit, on } from "./bus.js";
import { copyText, debounce, h, icon } from "./dom.js";
import { highlightCode, languageForFile } from "./markdown.js";
import { askSaveConflict } from "./save_conflict.js";
import { state } from "./state.js";
import { toast, toastError } from "./toast.js";

const IMAGE_EXT = new Set(["png", "jpg", "jpeg", "gif", "webp", "bmp", "avif", "ico", "svg"]);
const CODE_EXT = new Set(["py", "js", "mjs", "ts", "tsx", "jsx", "json", "sh", "bash", "yml", "yaml", "toml", "ini",
  "html", "xml", "css", "rs", "go", "java", "c", "h", "cpp", "rb", "php", "sql"]);
const TEXT_EXT = new Set(["md", "txt", "csv", "log", "rst"]);

const ws = {
  root: null,
  els: {},
  sessionId: null,
  workspace: null,
  sessionError: null,
  hidden: false, // show dotfiles
  dirs: new Map(), // folder path → {entries, truncated, error, loading}
  expanded: new Set(),
  folder: ".", // where new files and uploads go: the folder last opened
  focused: null, // the tree row that takes Tab (roving tabindex)
  selected: null,
  open: null, // the previewed file: {path, kind, content, size, lines, editing, draft, error, ...}
  view: "tree", // "tree" | "preview"
  inline: null, // {mode: "new-file"|"new-folder"|"rename", folder, path}
  uploads: [], // rows shown while files upload: {id, name, folder, progress}
  flash: new Set(), // paths to highlight once (just uploaded / created)
  epoch: 0, // bumps on a session or workspace switch: late replies for the old one are dropped
  stale: true, // the tree must be (re)loaded when the panel is next shown
  refreshing: false,
  pendingOpen: null, // a session's remembered preview (and unsaved draft), reopened once its tree is listed
  wantFocus: false, // the panel was opened by the user before its tree was listed: focus the tree when it is
};
const memory = new Map(); // session id → what the panel looked like there (folders, open file, unsaved draft)
let uploadSeq = 0;
let uploadFolder = null;
let menu = null;

// ---- small helpers -------------------------------------------------------------------------------

const ext = (name) => (name.includes(".") ? name.split(".").pop().toLowerCase() : "");
const baseName = (path) => path.split("/").pop();
const parentOf = (path) => (path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
const join = (folder, name) => (folder === "." || !folder ? name : `${folder}/${name}`);
const within = (path, folder) => folder === "." || path === folder || path.startsWith(`${folder}/`);
const isImage = (path) => IMAGE_EXT.has(ext(path));
const lineCount = (text) => (text ? text.split("\n").length - (text.endsWith("\n") ? 1 : 0) : 0);
const dirty = () => !!(ws.open && ws.open.editing && ws.open.draft !== ws.open.content);
const panelOpen = () => ws.root.closest(".app")?.dataset.workspace !== "closed";

export function formatBytes(n) {
  if (n === null || n === undefined) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function fileIcon(entry) {
  if (entry.type === "dir") return "folder";
  if (entry.type === "other" || entry.link) return "link";
  if (isImage(entry.name)) return "image";
  if (CODE_EXT.has(ext(entry.name))) return "filecode";
  if (TEXT_EXT.has(ext(entry.name))) return "filetext";
  return "file";
}

function rawUrl(path, extra = {}) {
  const params = new URLSearchParams({ session_id: ws.sessionId, path, ...extra });
  return `/api/file/raw?${params}`;
}

function shortPath(path) {
  const parts = String(path || "").split("/").filter(Boolean);
  if (parts.length <= 3) return path || "";
  return `…/${parts.slice(-2).join("/")}`;
}

function entryFor(path) {
  const listing = ws.dirs.get(parentOf(path));
  return listing?.entries?.find((e) => e.path === path) || null;
}

function iconButton(name, label, onclick, extra = {}) {
  return h("button", { class: "icon-button", type: "button", "aria-label": label, title: label, onclick, ...extra },
    icon(name, { size: 17 }));
}

// ---- dialogs and menus ---------------------------------------------------------------------------

/** A modal question; resolves true when the confirm button is used. */
function confirmDialog({ title, message, confirm = "OK", cancel = "Cancel", danger = false }) {
  return new Promise((resolve) => {
    const yes = h("button", { class: `button ${danger ? "danger" : "primary"}`, type: "button" }, confirm);
    const no = h("button", { class: "button", type: "button" }, cancel);
    const dialog = h("dialog", { class: "dialog ws-dialog", "aria-labelledby": "ws-dialog-title" },
      h("div", { class: "dialog-body" }, h("h2", { id: "ws-dialog-title" }, title), message && h("p", {}, message)),
      h("div", { class: "dialog-actions" }, no, yes));
    yes.addEventListener("click", () => dialog.close("confirm"));
    no.addEventListener("click", () => dialog.close("cancel"));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
    yes.focus();
  });
}

function closeMenu({ restore = true } = {}) {
  if (!menu) return;
  const { el, returnFocus, cleanup } = menu;
  menu = null;
  cleanup();
  el.remove();
  if (restore && returnFocus && returnFocus.isConnected) returnFocus.focus();
}

/** A popup menu of {label, icon, action, danger} (null = separator) at an anchor or a point. */
function openMenu(items, { anchor = null, x = 0, y = 0, label = "File actions", returnFocus = null } = {}) {
  closeMenu({ restore: false });
  const buttons = [];
  const el = h("div", { class: "menu ws-menu", role: "menu", "aria-label": label },
    items.filter((item) => item !== undefined).map((item) => {
      if (item === null) return h("div", { class: "menu-sep", role: "separator" });
      const button = h("button", {
        class: `menu-item${item.danger ? " danger" : ""}`, type: "button", role: "menuitem", tabindex: "-1",
        "aria-checked": item.checked === undefined ? null : String(item.checked),
        onclick: () => {
          closeMenu({ restore: !item.keepFocus });
          item.action();
        },
      }, icon(item.icon || "info", { size: 16 }), h("span", {}, item.label),
      item.hint && h("span", { class: "ws-menu-hint" }, item.hint));
      if (item.checked !== undefined) button.setAttribute("role", "menuitemcheckbox");
      buttons.push(button);
      return button;
    }));
  document.body.append(el);
  anchor?.setAttribute("aria-expanded", "true");
  const rect = anchor ? anchor.getBoundingClientRect() : { left: x, right: x, bottom: y, top: y };
  const { width, height } = el.getBoundingClientRect();
  let left = anchor ? rect.right - width : rect.left;
  let top = rect.bottom + (anchor ? 4 : 0);
  if (top + height > window.innerHeight - 8) top = Math.max(8, (anchor ? rect.top - 4 : rect.top) - height);
  left = Math.min(Math.max(8, left), window.innerWidth - width - 8);
  el.style.left = `${left}px`;
  el.style.top = `${top}px`;

  const move = (delta) => {
    const index = buttons.indexOf(document.activeElement);
    const next = index < 0 ? (delta > 0 ? 0 : buttons.length - 1) : (index + delta + buttons.length) % buttons.length;
    buttons[next].focus();
  };
  el.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") move(1);
    else if (event.key === "ArrowUp") move(-1);
    else if (event.key === "Home") buttons[0].focus();
    else if (event.key === "End") buttons[buttons.length - 1].focus();
    else if (event.key === "Escape") closeMenu();
    else if (event.key === "Tab") closeMenu();
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
  const outside = (event) => {
    if (!el.contains(event.target)) closeMenu({ restore: false });
  };
  const dismiss = () => closeMenu({ restore: false });
  setTimeout(() => document.addEventListener("pointerdown", outside, true), 0);
  window.addEventListener("resize", dismiss);
  window.addEventListener("blur", dismiss);
  menu = {
    el,
    returnFocus: returnFocus || anchor || document.activeElement,
    cleanup: () => {
      anchor?.setAttribute("aria-expanded", "false");
      document.removeEventListener("pointerdown", outside, true);
      window.removeEventListener("resize", dismiss);
      window.removeEventListener("blur", dismiss);
    },
  };
  buttons[0]?.focus();
}

// ---- session and loading -------------------------------------------------------------------------

function remember() {
  if (!ws.sessionId) return;
  memory.set(ws.sessionId, {
    workspace: ws.workspace, expanded: new Set(ws.expanded), folder: ws.folder, focused: ws.focused,
    selected: ws.selected, view: ws.view,
    open: ws.open && { path: ws.open.path, editing: ws.open.editing, draft: ws.open.draft, content: ws.open.content },
  });
}

function restore(id) {
  const saved = memory.get(id);
  ws.expanded = new Set(saved?.expanded || []);
  ws.folder = saved?.folder || ".";
  ws.focused = saved?.focused || null;
  ws.selected = saved?.selected || null;
  ws.open = null;
  ws.view = "tree";
  ws.inline = null;
  return saved;
}

function switchSession(id, session) {
  if (id === ws.sessionId) {
    if (session?.workspace) setWorkspace(session.workspace);
    return;
  }
  remember();
  closeMenu({ restore: false });
  ws.epoch += 1;
  ws.refreshing = false;
  ws.sessionId = id || null;
  ws.sessionError = null;
  ws.dirs.clear();
  ws.uploads = [];
  const saved = id ? restore(id) : restore(null);
  ws.workspace = session?.workspace || null;
  if (saved && ws.workspace && saved.workspace !== ws.workspace) restore(null);
  ws.stale = true;
  ws.pendingOpen = saved?.open && (!ws.workspace || saved.workspace === ws.workspace) ? saved : null;
  render();
  if (!id) return;
  if (ws.workspace) loadIfShown();
  else fetchSession(id);
}

function setWorkspace(path) {
  if (!path || path === ws.workspace) return;
  const first = ws.workspace === null;
  ws.workspace = path;
  if (!first) {
    // The session moved to another workspace: nothing of the old tree applies.
    ws.epoch += 1;
    ws.dirs.clear();
    ws.expanded.clear();
    ws.folder = ".";
    ws.focused = ws.selected = null;
    ws.open = null;
    ws.view = "tree";
    ws.pendingOpen = null;
  } else if (ws.pendingOpen && ws.pendingOpen.workspace !== path) {
    ws.pendingOpen = null;
  }
  ws.stale = true;
  renderHead();
  loadIfShown();
}

async function fetchSession(id) {
  const epoch = ws.epoch;
  try {
    const { session } = await api.get("/api/session", { session_id: id, messages: 0 });
    if (epoch !== ws.epoch || ws.sessionId !== id) return;
    setWorkspace(session.workspace);
  } catch (err) {
    if (epoch !== ws.epoch || ws.sessionId !== id || ws.workspace) return;
    ws.sessionError = err.message;
    render();
  }
}

function loadIfShown() {
  if (!ws.sessionId || !ws.workspace || !panelOpen()) return;
  if (!ws.stale) return;
  ws.stale = false;
  refresh({ first: true, preview: true });
}

// A link (hermes' `type: "symlink"`) shows as the folder or file it leads to, marked as a link.
function asTreeEntry(entry) {
  if (entry.type !== "symlink") return entry;
  return { ...entry, type: entry.is_dir ? "dir" : entry.mtime != null ? "file" : "other", link: true };
}

async function loadDir(path) {
  const epoch = ws.epoch;
  const previous = ws.dirs.get(path);
  ws.dirs.set(path, { ...(previous || {}), loading: true });
  try {
    const data = await api.get("/api/list", { session_id: ws.sessionId, path, hidden: ws.hidden ? 1 : undefined });
    if (epoch !== ws.epoch) return false;
    ws.dirs.set(path, { entries: (data.entries || []).map(asTreeEntry), truncated: !!data.truncated });
    return true;
  } catch (err) {
    if (epoch !== ws.epoch) return false;
    if (path !== "." && err.status === 404) {
      // The folder is gone (deleted by a tool, renamed): forget it rather than show an error.
      ws.dirs.delete(path);
      for (const p of [...ws.expanded]) if (within(p, path)) ws.expanded.delete(p);
      if (within(ws.folder, path)) ws.folder = parentOf(path);
      return false;
    }
    ws.dirs.set(path, { entries: previous?.entries || null, error: err.message });
    return false;
  }
}

/** Reload the root and every open folder (and the previewed file unless it is being edited). */
async function refresh({ first = false, preview = !first } = {}) {
  if (!ws.sessionId || !ws.workspace) return;
  const epoch = ws.epoch;
  ws.refreshing = true;
  renderHead();
  if (first) renderTree();
  const folders = [".", ...[...ws.expanded].filter((p) => p !== ".")];
  await Promise.all(folders.map((p) => loadDir(p)));
  // Another session (or workspace) took over while the folders loaded: this refresh is not its own, and must not
  // reopen or replace what that session is restoring (its unsaved draft).
  if (epoch !== ws.epoch) return;
  ws.refreshing = false;
  renderHead();
  renderTree();
  if (first && ws.pendingOpen) {
    const saved = ws.pendingOpen;
    ws.pendingOpen = null;
    await openFile(saved.open.path, { restoreDraft: saved.open, view: saved.view, force: true });
  } else if (preview && ws.open && !ws.open.editing) {
    await openFile(ws.open.path, { silent: true, force: true });
  }
}

async function reloadFolders(paths) {
  await Promise.all([...new Set(paths)].map((p) => loadDir(p)));
  renderTree();
}

const changed = debounce(() => {
  if (!panelOpen()) {
    ws.stale = true;
    return;
  }
  refresh();
}, 400);

// ---- rendering: frame ----------------------------------------------------------------------------

function build(root) {
  const title = h("h2", { class: "ws-title", id: "ws-title" }, "Workspace");
  const pathEl = h("div", { class: "ws-path" });
  const buttons = {
    newFile: iconButton("newfile", "New file", () => startCreate("new-file")),
    newFolder: iconButton("newfolder", "New folder", () => startCreate("new-folder")),
    upload: iconButton("upload", "Upload files", () => chooseUpload(ws.folder)),
    refresh: iconButton("refresh", "Refresh", () => refresh()),
    close: iconButton("x", "Close workspace panel", () => emit("toggle-workspace")),
  };
  buttons.close.setAttribute("title", "Close (Ctrl+J)");
  const input = h("input", { type: "file", multiple: true, hidden: true, class: "ws-file-input",
    "aria-label": "Choose files to upload", tabindex: "-1" });
  input.addEventListener("change", () => {
    const files = [...input.files];
    input.value = "";
    uploadFiles(files, uploadFolder ?? ws.folder);
    uploadFolder = null;
  });
  const tree = h("div", { class: "ws-tree-wrap", tabindex: "-1" });
  const preview = h("section", { class: "ws-preview", "aria-label": "File preview" });
  const drop = h("div", { class: "ws-drop", hidden: true, "aria-hidden": "true" },
    h("div", { class: "ws-drop-card" }, icon("upload", { size: 22 }), h("span", { class: "ws-drop-text" }, "Drop files to upload")));
  root.setAttribute("aria-labelledby", "ws-title");
  root.removeAttribute("aria-label");
  root.append(
    h("header", { class: "ws-head" },
      h("div", { class: "ws-head-row" }, title,
        h("div", { class: "ws-head-actions" }, buttons.newFile, buttons.newFolder, buttons.upload, buttons.refresh,
          h("span", { class: "ws-head-sep", "aria-hidden": "true" }), buttons.close)),
      pathEl),
    h("div", { class: "ws-body" }, tree, preview),
    drop, input);
  ws.els = { title, pathEl, buttons, input, tree, preview, drop };
}

function render() {
  renderHead();
  renderTree();
  renderPreview();
}

function renderHead() {
  const { pathEl, buttons } = ws.els;
  const ready = !!(ws.sessionId && ws.workspace);
  pathEl.replaceChildren();
  if (ws.workspace) {
    pathEl.append(icon("folder", { size: 14 }), h("span", { class: "ws-path-text" }, shortPath(ws.workspace)));
    pathEl.title = ws.workspace;
    pathEl.hidden = false;
  } else {
    pathEl.hidden = true;
    pathEl.removeAttribute("title");
  }
  for (const key of ["newFile", "newFolder", "upload", "refresh"]) buttons[key].disabled = !ready;
  buttons.refresh.classList.toggle("spinning", ws.refreshing);
  ws.root.dataset.view = ws.view;
}

// ---- rendering: tree -----------------------------------------------------------------------------

function emptyState(iconName, title, text, ...actions) {
  return h("div", { class: "ws-empty" }, h("div", { class: "ws-empty-icon" }, icon(iconName, { size: 26 })),
    h("p", { class: "ws-empty-title" }, title), text && h("p", { class: "ws-empty-text" }, text),
    actions.length ? h("div", { class: "ws-empty-actions" }, actions) : null);
}

function renderTree() {
  const wrap = ws.els.tree;
  const hadFocus = wrap.contains(document.activeElement);
  const focusInline = ws.inline && !wrap.querySelector(".ws-inline-input");
  wrap.replaceChildren();
  if (!ws.sessionId) {
    wrap.append(emptyState("folder", "No session open", "Open or start a chat to see the files in its workspace."));
    return;
  }
  if (ws.sessionError) {
    wrap.append(h("div", { class: "ws-error", role: "alert" }, icon("alert", { size: 18 }),
      h("div", {}, h("strong", {}, "Cannot open this session's workspace"), h("p", {}, ws.sessionError))));
    return;
  }
  const rootListing = ws.dirs.get(".");
  if (!ws.workspace || !rootListing || (rootListing.loading && !rootListing.entries)) {
    wrap.append(h("div", { class: "ws-skeleton", "aria-label": "Loading files", role: "status" },
      [70, 55, 80, 45, 62].map((w) => h("span", { style: `width:${w}%` }))));
    return;
  }
  if (rootListing.error && !rootListing.entries) {
    wrap.append(h("div", { class: "ws-error", role: "alert" }, icon("alert", { size: 18 }),
      h("div", {}, h("strong", {}, "Cannot list the workspace"), h("p", {}, rootListing.error),
        h("button", { class: "button small", type: "button", onclick: () => refresh() }, icon("refresh", { size: 14 }), "Try again"))));
    return;
  }
  const tree = h("ul", { class: "ws-tree", role: "tree", "aria-label": "Files", "aria-multiselectable": "false" },
    children(".", 1));
  const empty = !rootListing.entries.length && !(ws.inline && ws.inline.folder === ".")
    && !ws.uploads.some((u) => u.folder === ".");
  wrap.append(tree);
  if (empty) {
    wrap.append(emptyState("folder", "This workspace is empty", "Drop files here, or create the first one.",
      h("button", { class: "button small", type: "button", onclick: () => startCreate("new-file") }, icon("newfile", { size: 15 }), "New file"),
      h("button", { class: "button small", type: "button", onclick: () => chooseUpload(".") }, icon("upload", { size: 15 }), "Upload")));
  }
  // Roving tabindex: exactly one row takes Tab.
  const rows = treeRows();
  const current = rows.find((row) => row.dataset.path === ws.focused) || rows.find((row) => row.dataset.path === ws.selected) || rows[0];
  if (current) current.tabIndex = 0;
  const input = wrap.querySelector(".ws-inline-input");
  if (input && (focusInline || hadFocus)) {
    input.focus();
    if (ws.inline.mode === "rename" && !ws.inline.focused) {
      const name = input.value;
      const dot = ws.inline.type !== "dir" ? name.lastIndexOf(".") : -1;
      input.setSelectionRange(0, dot > 0 ? dot : name.length);
    }
    ws.inline.focused = true;
  } else if ((hadFocus || (ws.wantFocus && document.activeElement === wrap)) && current) {
    current.focus({ preventScroll: false });
    ws.wantFocus = false;
  }
  for (const path of ws.flash) {
    const row = rows.find((r) => r.dataset.path === path);
    if (row) {
      row.classList.add("ws-flash");
      row.scrollIntoView({ block: "nearest" });
    }
  }
  ws.flash.clear();
}

function children(folder, level) {
  const listing = ws.dirs.get(folder);
  const items = [];
  if (ws.inline && ws.inline.mode !== "rename" && ws.inline.folder === folder) items.push(inlineRow(level));
  for (const upload of ws.uploads.filter((u) => u.folder === folder)) items.push(uploadRow(upload, level));
  if (!listing) {
    // An open folder nobody listed yet (e.g. just created): list it now.
    const epoch = ws.epoch;
    loadDir(folder).then(() => epoch === ws.epoch && renderTree());
  }
  if (!listing || (listing.loading && !listing.entries)) {
    items.push(h("li", { class: "ws-note-row", role: "none", style: `--level:${level}` }, h("span", { class: "ws-spinner" }), "Loading…"));
    return items;
  }
  if (listing.error) {
    items.push(h("li", { class: "ws-note-row ws-note-error", role: "none", style: `--level:${level}` },
      icon("alert", { size: 14 }), h("span", { class: "ws-note-text" }, listing.error)));
  }
  for (const entry of listing.entries || []) items.push(itemRow(entry, level));
  if (folder !== "." && listing.entries && !listing.entries.length && !items.length) {
    items.push(h("li", { class: "ws-note-row", role: "none", style: `--level:${level}` }, "Empty folder"));
  }
  if (listing.truncated) {
    items.push(h("li", { class: "ws-note-row", role: "none", style: `--level:${level}` }, "Only the first 1000 entries are shown"));
  }
  return items;
}

function itemRow(entry, level) {
  const dir = entry.type === "dir";
  const expanded = dir && ws.expanded.has(entry.path);
  const renaming = ws.inline?.mode === "rename" && ws.inline.path === entry.path;
  const name = renaming ? inlineInput(entry.name)
    : h("span", { class: "ws-name", title: entry.path }, entry.name);
  const meta = entry.link ? "link" : dir ? "" : entry.type === "other" ? "link" : formatBytes(entry.size);
  const row = h("div", { class: "ws-row", style: `--level:${level}` },
    h("span", { class: `ws-chevron${expanded ? " open" : ""}`, "aria-hidden": "true" }, dir ? icon("chevron", { size: 14 }) : null),
    h("span", { class: `ws-icon ws-icon-${entry.type}` }, icon(dir && expanded ? "folder" : fileIcon(entry), { size: 16 })),
    name,
    !renaming && meta ? h("span", { class: "ws-size" }, meta) : null,
    !renaming && h("button", { class: "icon-button ws-more", type: "button", tabindex: "-1", "aria-label": "File actions",
      title: "Actions", "aria-haspopup": "menu" }, icon("more", { size: 16 })));
  const li = h("li", {
    class: `ws-item${ws.selected === entry.path ? " selected" : ""}${renaming ? " renaming" : ""}`, role: "treeitem",
    "aria-label": entry.name, "aria-level": level, "aria-selected": String(ws.selected === entry.path),
    "aria-expanded": dir ? String(expanded) : null, tabindex: "-1",
    dataset: { path: entry.path, type: entry.type },
  }, row);
  if (expanded) li.append(h("ul", { role: "group", class: "ws-group" }, children(entry.path, level + 1)));
  return li;
}

function inlineInput(value) {
  const inline = ws.inline;
  value = inline.value ?? value;
  const input = h("input", { class: "input ws-inline-input", type: "text", value, spellcheck: "false", autocomplete: "off",
    "aria-label": ws.inline.mode === "rename" ? "New name" : ws.inline.mode === "new-folder" ? "Folder name" : "File name",
    placeholder: ws.inline.mode === "new-folder" ? "folder name" : "file name" });
  input.addEventListener("keydown", (event) => {
    event.stopPropagation();
    if (event.key === "Enter") {
      event.preventDefault();
      commitInline(input.value, { keep: true });
    } else if (event.key === "Escape") {
      event.preventDefault();
      cancelInline();
    }
  });
  input.addEventListener("input", () => {
    inline.value = input.value;
  });
  input.addEventListener("blur", () => {
    // A re-render replaces the input (and may blur it): only a real blur commits.
    setTimeout(() => {
      if (input.isConnected && ws.inline === inline && !inline.busy && document.activeElement !== input) {
        commitInline(input.value, { keep: false });
      }
    }, 0);
  });
  return input;
}

function inlineRow(level) {
  const folder = ws.inline.mode === "new-folder";
  return h("li", { class: "ws-item renaming", role: "none" },
    h("div", { class: "ws-row", style: `--level:${level}` }, h("span", { class: "ws-chevron" }),
      h("span", { class: `ws-icon ws-icon-${folder ? "dir" : "file"}` }, icon(folder ? "newfolder" : "newfile", { size: 16 })),
      inlineInput("")));
}

function uploadRow(upload, level) {
  const bar = h("span", { class: "ws-progress-bar" });
  bar.style.width = `${Math.round(upload.progress * 100)}%`;
  upload.bar = bar;
  return h("li", { class: "ws-item ws-uploading", role: "none", "aria-busy": "true" },
    h("div", { class: "ws-row", style: `--level:${level}` }, h("span", { class: "ws-chevron" }),
      h("span", { class: "ws-icon" }, h("span", { class: "ws-spinner" })),
      h("span", { class: "ws-name" }, upload.name),
      h("span", { class: "ws-progress", role: "progressbar", "aria-label": `Uploading ${upload.name}` }, bar)));
}

function treeRows() {
  return [...ws.els.tree.querySelectorAll('[role="treeitem"]')];
}

function focusRow(row) {
  if (!row) return;
  for (const other of treeRows()) other.tabIndex = -1;
  row.tabIndex = 0;
  ws.focused = row.dataset.path;
  row.focus();
}

// ---- tree interaction ----------------------------------------------------------------------------

function rowEntry(li) {
  const path = li.dataset.path;
  return entryFor(path) || { path, name: baseName(path), type: li.dataset.type, size: null };
}

async function toggleFolder(path, open = !ws.expanded.has(path)) {
  if (open) {
    ws.expanded.add(path);
    ws.folder = path;
    renderTree();
    if (!ws.dirs.get(path)?.entries) {
      await loadDir(path);
      renderTree();
    }
  } else {
    ws.expanded.delete(path);
    if (within(ws.folder, path)) ws.folder = parentOf(path);
    renderTree();
  }
}

function activate(li) {
  const entry = rowEntry(li);
  ws.focused = entry.path;
  if (entry.type === "dir") {
    toggleFolder(entry.path);
  } else {
    ws.folder = parentOf(entry.path);
    openFile(entry.path);
  }
}

function onTreeClick(event) {
  const li = event.target.closest('[role="treeitem"]');
  if (!li || event.target.closest(".ws-inline-input")) return;
  if (event.target.closest(".ws-more")) {
    event.stopPropagation();
    entryMenu(rowEntry(li), { anchor: event.target.closest(".ws-more"), returnFocus: li });
    return;
  }
  if (!event.target.closest(".ws-row") || event.target.closest(".ws-row").parentElement !== li) return;
  focusRow(li);
  activate(li);
}

function onTreeContextMenu(event) {
  if (event.target.closest(".ws-inline-input")) return;
  event.preventDefault();
  const li = event.target.closest('[role="treeitem"]');
  if (li) {
    focusRow(li);
    entryMenu(rowEntry(li), { x: event.clientX, y: event.clientY, returnFocus: li });
  } else if (ws.sessionId && ws.workspace) {
    rootMenu({ x: event.clientX, y: event.clientY });
  }
}

function onTreeKeydown(event) {
  const li = event.target.closest('[role="treeitem"]');
  if (!li || event.target !== li) return;
  const rows = treeRows();
  const index = rows.indexOf(li);
  const entry = rowEntry(li);
  const dir = entry.type === "dir";
  const key = event.key;
  if (key === "ArrowDown") focusRow(rows[Math.min(rows.length - 1, index + 1)]);
  else if (key === "ArrowUp") focusRow(rows[Math.max(0, index - 1)]);
  else if (key === "Home") focusRow(rows[0]);
  else if (key === "End") focusRow(rows[rows.length - 1]);
  else if (key === "ArrowRight") {
    if (dir && !ws.expanded.has(entry.path)) toggleFolder(entry.path, true);
    else if (dir) focusRow(li.querySelector('[role="treeitem"]'));
  } else if (key === "ArrowLeft") {
    if (dir && ws.expanded.has(entry.path)) toggleFolder(entry.path, false);
    else focusRow(li.parentElement.closest('[role="treeitem"]'));
  } else if (key === "Enter" || key === " ") activate(li);
  else if (key === "F2") startRename(entry);
  else if (key === "Delete") deleteEntry(entry);
  else if (key === "ContextMenu" || (key === "F10" && event.shiftKey)) {
    entryMenu(entry, { anchor: li.querySelector(".ws-more"), returnFocus: li });
  } else return;
  event.preventDefault();
}

function entryMenu(entry, where) {
  const dir = entry.type === "dir";
  const text = entry.type === "file" && !isImage(entry.name);
  const folder = dir ? entry.path : parentOf(entry.path);
  openMenu([
    !dir ? { label: "Open", icon: "eye", action: () => openFile(entry.path) } : undefined,
    text || entry.name.endsWith(".svg") ? { label: "Edit", icon: "edit", action: () => openFile(entry.path, { edit: true }), keepFocus: true } : undefined,
    dir ? { label: "New file here", icon: "newfile", action: () => startCreate("new-file", folder), keepFocus: true } : undefined,
    dir ? { label: "New folder here", icon: "newfolder", action: () => startCreate("new-folder", folder), keepFocus: true } : undefined,
    dir ? { label: "Upload here…", icon: "upload", action: () => chooseUpload(folder) } : undefined,
    entry.type === "file" ? { label: "Download", icon: "download", action: () => downloadFile(entry.path) } : undefined,
    { label: "Copy path", icon: "copy", action: () => copyPath(entry.path) },
    null,
    { label: "Rename", icon: "cursor", hint: "F2", action: () => startRename(entry), keepFocus: true },
    { label: "Delete", icon: "trash", hint: "Del", danger: true, action: () => deleteEntry(entry), keepFocus: true },
  ], { ...where, label: `Actions for ${entry.name}` });
}

function rootMenu(where) {
  openMenu([
    { label: "New file", icon: "newfile", action: () => startCreate("new-file", "."), keepFocus: true },
    { label: "New folder", icon: "newfolder", action: () => startCreate("new-folder", "."), keepFocus: true },
    { label: "Upload files…", icon: "upload", action: () => chooseUpload(".") },
    null,
    { label: "Show hidden files", icon: ws.hidden ? "check" : "eye", checked: ws.hidden, action: () => {
      ws.hidden = !ws.hidden;
      ws.dirs.clear();
      refresh({ first: true });
    } },
    { label: "Refresh", icon: "refresh", action: () => refresh() },
  ], { ...where, label: "Workspace actions" });
}

async function copyPath(path) {
  if (await copyText(path)) toast(`Copied “${path}”`, { timeout: 2500 });
}

function downloadFile(path) {
  const link = h("a", { href: rawUrl(path, { download: 1 }), download: baseName(path) });
  document.body.append(link);
  link.click();
  link.remove();
}

// ---- create, rename, delete ----------------------------------------------------------------------

async function startCreate(mode, folder = ws.folder) {
  if (!ws.sessionId || !ws.workspace) return;
  if (ws.view === "preview" && !(await leavePreview())) return;
  if (folder !== "." && !ws.expanded.has(folder)) await toggleFolder(folder, true);
  ws.inline = { mode, folder };
  renderTree();
  ws.els.tree.querySelector(".ws-inline-input")?.scrollIntoView({ block: "nearest" });
}

async function startRename(entry) {
  if (ws.view === "preview" && !(await leavePreview())) return;
  ws.focused = entry.path;
  ws.inline = { mode: "rename", path: entry.path, folder: parentOf(entry.path), type: entry.type };
  renderTree();
}

function cancelInline() {
  const path = ws.inline?.path;
  ws.inline = null;
  if (path) ws.focused = path;
  renderTree();
  const row = treeRows().find((r) => r.dataset.path === ws.focused);
  if (row) focusRow(row);
}

async function commitInline(value, { keep }) {
  const inline = ws.inline;
  if (!inline || inline.busy) return;
  const name = value.trim();
  if (!name || (inline.mode === "rename" && name === baseName(inline.path))) {
    cancelInline();
    return;
  }
  inline.busy = true;
  const epoch = ws.epoch;
  try {
    if (inline.mode === "rename") {
      const result = await api.post("/api/file/rename", { session_id: ws.sessionId, path: inline.path, new_name: name });
      if (epoch !== ws.epoch) return;
      moved(inline.path, result.new_path);
      ws.inline = null;
      ws.focused = result.new_path;
      ws.flash.add(result.new_path);
      const inside = [...ws.expanded].filter((p) => within(p, result.new_path));
      await reloadFolders([inline.folder, parentOf(result.new_path), ...inside]);
      focusRow(treeRows().find((r) => r.dataset.path === result.new_path));
    } else {
      const path = join(inline.folder, name.replace(/^\/+|\/+$/g, ""));
      const verb = inline.mode === "new-folder" ? "/api/file/create-dir" : "/api/file/create";
      const result = await api.post(verb, { session_id: ws.sessionId, path, content: inline.mode === "new-folder" ? undefined : "" });
      if (epoch !== ws.epoch) return;
      ws.inline = null;
      const created = result.path || path;
      // Intermediate folders ("a/b/c.txt") open on the way, and are listed again.
      const reload = [inline.folder];
      let folder = parentOf(created);
      while (folder !== "." && !within(inline.folder, folder)) {
        ws.expanded.add(folder);
        reload.push(folder);
        folder = parentOf(folder);
      }
      ws.flash.add(created);
      ws.focused = created;
      if (inline.mode === "new-folder") {
        ws.expanded.add(created);
        ws.folder = created;
        reload.push(created);
      }
      await reloadFolders(reload);
      if (inline.mode === "new-file") await openFile(created, { edit: true, force: true });
      else focusRow(treeRows().find((r) => r.dataset.path === created));
    }
  } catch (err) {
    toastError(err);
    if (epoch !== ws.epoch) return;
    inline.busy = false;
    if (keep && ws.inline === inline) {
      const input = ws.els.tree.querySelector(".ws-inline-input");
      input?.focus();
      input?.select();
    } else if (ws.inline === inline) {
      ws.inline = null;
      renderTree();
    }
  }
}

/** A path changed from `from` to `to`: carry the open folders, selection and preview along. */
function moved(from, to) {
  const swap = (p) => (p && within(p, from) ? to + p.slice(from.length) : p);
  ws.expanded = new Set([...ws.expanded].map(swap));
  ws.folder = swap(ws.folder);
  ws.selected = swap(ws.selected);
  ws.focused = swap(ws.focused);
  for (const key of [...ws.dirs.keys()]) if (within(key, from)) ws.dirs.delete(key);
  if (ws.open && within(ws.open.path, from)) {
    ws.open.path = swap(ws.open.path);
    renderPreview();
  }
}

async function deleteEntry(entry) {
  const dir = entry.type === "dir";
  const touchesDraft = ws.open && dirty() && within(ws.open.path, entry.path);
  const ok = await confirmDialog({
    title: `Delete “${entry.name}”?`,
    message: dir ? "The folder and everything in it will be deleted from the workspace. This cannot be undone."
      : `${touchesDraft ? "Your unsaved changes will be lost too. " : ""}The file will be deleted from the workspace. This cannot be undone.`,
    confirm: "Delete", danger: true,
  });
  if (!ok) {
    treeRows().find((r) => r.dataset.path === entry.path)?.focus();
    return;
  }
  const epoch = ws.epoch;
  try {
    await api.post("/api/file/delete", { session_id: ws.sessionId, path: entry.path, recursive: dir });
  } catch (err) {
    toastError(err);
    return;
  }
  if (epoch !== ws.epoch) return;
  for (const p of [...ws.expanded]) if (within(p, entry.path)) ws.expanded.delete(p);
  for (const key of [...ws.dirs.keys()]) if (within(key, entry.path)) ws.dirs.delete(key);
  if (within(ws.folder, entry.path)) ws.folder = parentOf(entry.path);
  if (ws.open && within(ws.open.path, entry.path)) {
    ws.open = null;
    ws.view = "tree";
    renderHead();
    renderPreview();
  }
  const rows = treeRows();
  const index = rows.findIndex((r) => r.dataset.path === entry.path);
  const neighbour = rows[index + 1] && !within(rows[index + 1].dataset.path, entry.path) ? rows[index + 1] : rows[index - 1];
  ws.focused = neighbour?.dataset.path || null;
  if (ws.selected && within(ws.selected, entry.path)) ws.selected = null;
  toast(`Deleted “${entry.name}”`, { timeout: 3000 });
  await reloadFolders([parentOf(entry.path)]);
  const row = treeRows().find((r) => r.dataset.path === ws.focused);
  if (row) focusRow(row);
}

// ---- preview and editing -------------------------------------------------------------------------

async function leavePreview() {
  if (dirty()) {
    const ok = await confirmDialog({ title: "Discard unsaved changes?",
      message: `Your changes to “${baseName(ws.open.path)}” have not been saved.`, confirm: "Discard", cancel: "Keep editing", danger: true });
    if (!ok) {
      ws.els.preview.querySelector(".ws-editor")?.focus();
      return false;
    }
  }
  const path = ws.open?.path;
  ws.open = null;
  ws.view = "tree";
  renderHead();
  renderPreview();
  if (path) {
    ws.focused = path;
    renderTree();
    treeRows().find((r) => r.dataset.path === path)?.focus();
  }
  return true;
}

async function openFile(path, { edit = false, silent = false, force = false, restoreDraft = null, view = "preview" } = {}) {
  if (!ws.sessionId) return;
  if (!force && ws.open && ws.open.path !== path && dirty()) {
    const ok = await confirmDialog({ title: "Discard unsaved changes?",
      message: `Your changes to “${baseName(ws.open.path)}” have not been saved.`, confirm: "Discard", cancel: "Keep editing", danger: true });
    if (!ok) return;
  }
  if (!force && ws.open && ws.open.path === path && ws.open.editing) {
    ws.view = "preview";
    renderHead();
    renderPreview();
    return;
  }
  const epoch = ws.epoch;
  const entry = entryFor(path);
  const previous = ws.open && ws.open.path === path ? ws.open : null;
  const open = { path, kind: "loading", size: entry?.size ?? previous?.size ?? null, type: entry?.type || "file",
    editing: false, draft: null, content: null, token: Symbol("open") };
  if (silent && previous) Object.assign(open, { kind: previous.kind, content: previous.content, lines: previous.lines });
  ws.open = open;
  ws.selected = path;
  ws.view = view;
  if (!silent) {
    renderHead();
    renderPreview();
    renderTree();
  }
  const scroller = ws.els.preview.querySelector(".ws-code");
  const scroll = scroller ? [scroller.scrollTop, scroller.scrollLeft] : null;
  if (isImage(path) && !edit && !restoreDraft?.editing) {
    open.kind = "image";
    open.src = `${rawUrl(path)}&v=${Date.now()}`;
  } else {
    try {
      const data = await api.get("/api/file", { session_id: ws.sessionId, path });
      if (epoch !== ws.epoch || ws.open !== open) return;
      // `etag` names the version on disk: a save goes over that version only (else the server says 412).
      Object.assign(open, { kind: "text", content: data.content, size: data.size, lines: lineCount(data.content), etag: data.etag });
      if (restoreDraft?.editing) {
        open.editing = true;
        open.draft = restoreDraft.draft ?? data.content;
        if (restoreDraft.draft != null && restoreDraft.draft !== restoreDraft.content) open.etag = restoreDraft.etag ?? data.etag;
        if (restoreDraft.content !== null && restoreDraft.content !== data.content && restoreDraft.draft !== restoreDraft.content) {
          toast(`“${baseName(path)}” changed on disk since you started editing`, { timeout: 6000 });
        }
      } else if (edit) {
        open.editing = true;
        open.draft = data.content;
      }
    } catch (err) {
      if (epoch !== ws.epoch || ws.open !== open) return;
      open.kind = err.status === 415 ? "binary" : err.status === 413 ? "large" : "error";
      open.error = err.message;
      if (edit && open.kind !== "error") toastError(err);
    }
  }
  renderPreview();
  if (scroll && silent) {
    const code = ws.els.preview.querySelector(".ws-code");
    if (code) [code.scrollTop, code.scrollLeft] = scroll;
  }
  if (!silent) {
    const target = ws.els.preview.querySelector(open.editing ? ".ws-editor" : ".ws-back");
    if (panelOpen() && ws.view === "preview") target?.focus({ preventScroll: true });
    if (open.editing) ws.els.preview.querySelector(".ws-editor")?.setSelectionRange(0, 0);
  }
}

function startEdit() {
  const open = ws.open;
  if (!open) return;
  if (open.kind !== "text") {
    openFile(open.path, { edit: true, force: true });
    return;
  }
  open.editing = true;
  open.draft = open.content;
  renderPreview();
  const editor = ws.els.preview.querySelector(".ws-editor");
  editor?.focus();
  editor?.setSelectionRange(0, 0);
}

async function stopEdit() {
  const open = ws.open;
  if (!open) return;
  if (dirty()) {
    const ok = await confirmDialog({ title: "Discard unsaved changes?",
      message: `Your changes to “${baseName(open.path)}” have not been saved.`, confirm: "Discard", cancel: "Keep editing", danger: true });
    if (!ok || ws.open !== open) {
      ws.els.preview.querySelector(".ws-editor")?.focus();
      return;
    }
  }
  open.editing = false;
  open.draft = null;
  if (isImage(open.path)) {
    openFile(open.path, { force: true });
    return;
  }
  renderPreview();
  ws.els.preview.querySelector(".ws-edit-button")?.focus();
}

async function save() {
  const open = ws.open;
  if (!open || !open.editing || open.saving) return;
  if (!dirty()) {
    flashStatus("No changes to save");
    return;
  }
  const content = open.draft;
  open.saving = true;
  updateEditState();
  const epoch = ws.epoch;
  try {
    let result;
    try {
      result = await api.post("/api/file/save", { session_id: ws.sessionId, path: open.path, content, if_match: open.etag });
    } catch (err) {
      if (err.status !== 412) throw err;
      const choice = await askSaveConflict(baseName(open.path));
      if (epoch !== ws.epoch || ws.open !== open) return;
      if (choice === "reload") {
        open.saving = false;
        await openFile(open.path, { edit: true, force: true });
        flashStatus("Reloaded from disk");
        return;
      }
      if (choice !== "overwrite") return;
      result = await api.post("/api/file/save", { session_id: ws.sessionId, path: open.path, content, if_match: err.body?.etag });
    }
    if (epoch !== ws.epoch) return;
    open.content = content;
    open.etag = result.etag;
    open.size = result.size;
    open.lines = lineCount(content);
    flashStatus("Saved");
    loadDir(parentOf(open.path)).then(() => renderTree());
  } catch (err) {
    toastError(err);
  } finally {
    open.saving = false;
    if (ws.open === open) updateEditState();
  }
}

function flashStatus(text) {
  const status = ws.els.preview.querySelector(".ws-status");
  if (!status) return;
  status.textContent = text;
  status.classList.add("show");
  clearTimeout(flashStatus.timer);
  flashStatus.timer = setTimeout(() => status.classList.remove("show"), 1800);
}

/** Reflect dirty / saving in the preview header without re-rendering the editor. */
function updateEditState() {
  const open = ws.open;
  const head = ws.els.preview.querySelector(".ws-preview-head");
  if (!open || !head) return;
  const isDirty = dirty();
  ws.root.dataset.dirty = String(isDirty);
  head.querySelector(".ws-dirty")?.toggleAttribute("hidden", !isDirty);
  const saveButton = head.querySelector(".ws-save");
  if (saveButton) {
    saveButton.disabled = !isDirty || !!open.saving;
    saveButton.querySelector("span").textContent = open.saving ? "Saving…" : "Save";
  }
  const cancel = head.querySelector(".ws-cancel");
  if (cancel) cancel.textContent = isDirty ? "Cancel" : "Done";
  const meta = head.querySelector(".ws-meta-size");
  if (meta) meta.textContent = metaText(open);
}

function metaText(open) {
  const parts = [];
  if (open.size !== null && open.size !== undefined) parts.push(formatBytes(open.size));
  if (open.kind === "text" && open.lines !== undefined) parts.push(`${open.lines} line${open.lines === 1 ? "" : "s"}`);
  if (open.kind === "image" && open.dimensions) parts.push(open.dimensions);
  return parts.join(" · ");
}

function renderPreview() {
  const el = ws.els.preview;
  const open = ws.open;
  ws.root.dataset.view = ws.view;
  ws.root.dataset.dirty = String(dirty());
  if (!open || ws.view !== "preview") {
    el.replaceChildren();
    el.hidden = true;
    return;
  }
  el.hidden = false;
  const name = baseName(open.path);
  const folder = parentOf(open.path);
  const editable = open.kind === "text" || (open.kind === "image" && ext(name) === "svg");
  const actions = [];
  if (open.editing) {
    actions.push(
      h("span", { class: "ws-status", role: "status", "aria-live": "polite" }),
      h("button", { class: "button small ghost ws-cancel", type: "button", onclick: stopEdit }, "Done"),
      h("button", { class: "button small primary ws-save", type: "button", title: "Save (Ctrl+S)", onclick: save },
        icon("save", { size: 14 }), h("span", {}, "Save")));
  } else {
    if (editable) {
      actions.push(h("button", { class: "button small ws-edit-button", type: "button", onclick: startEdit },
        icon("edit", { size: 14 }), "Edit"));
    }
    if (open.kind !== "error" && open.kind !== "loading") {
      actions.push(h("a", { class: "icon-button", href: rawUrl(open.path, { download: 1 }), download: name,
        "aria-label": `Download ${name}`, title: "Download" }, icon("download", { size: 17 })));
    }
    const wide = ws.root.dataset.wide === "true";
    actions.push(h("button", { class: "icon-button ws-wide-toggle", type: "button", "aria-pressed": String(wide),
      "aria-label": "Wide preview", title: wide ? "Narrow preview" : "Wide preview", onclick: toggleWide },
    icon(wide ? "minimize" : "maximize", { size: 16 })));
    actions.push(h("button", { class: "icon-button", type: "button", "aria-label": "File actions", "aria-haspopup": "menu", title: "Actions",
      onclick: (event) => entryMenu(entryFor(open.path) || { path: open.path, name, type: open.type || "file" },
        { anchor: event.currentTarget }) }, icon("more", { size: 17 })));
  }
  const head = h("div", { class: "ws-preview-head" },
    h("button", { class: "icon-button ws-back", type: "button", "aria-label": "Back to files", title: "Back to files (Esc)",
      onclick: () => leavePreview() }, icon("back", { size: 18 })),
    h("div", { class: "ws-preview-title" },
      h("div", { class: "ws-preview-name" },
        h("span", { class: "ws-preview-filename", title: open.path }, name),
        h("span", { class: "ws-dirty", title: "Unsaved changes", hidden: true }, h("span", { class: "visually-hidden" }, "Unsaved changes"))),
      h("div", { class: "ws-preview-meta" },
        folder !== "." && h("span", { class: "ws-meta-folder", title: folder }, `${folder}/`),
        h("span", { class: "ws-meta-size" }, metaText(open)))),
    h("div", { class: "ws-preview-actions" }, actions));
  el.replaceChildren(head, previewBody(open));
  updateEditState();
}

function previewBody(open) {
  const name = baseName(open.path);
  const body = h("div", { class: `ws-preview-body ws-kind-${open.kind}` });
  if (open.editing) {
    const editor = h("textarea", { class: "ws-editor", spellcheck: "false", autocapitalize: "off", autocomplete: "off",
      wrap: "off", "aria-label": `Contents of ${name}` });
    editor.value = open.draft ?? "";
    editor.addEventListener("input", () => {
      open.draft = editor.value;
      updateEditState();
    });
    editor.addEventListener("keydown", (event) => {
      if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.metaKey && !event.altKey && editor.dataset.tabs !== "off") {
        // Tab indents (insertText keeps the browser's undo history); Esc then Tab leaves the editor.
        event.preventDefault();
        document.execCommand("insertText", false, indentFor(open));
      } else if (event.key === "Escape") {
        event.preventDefault();
        editor.dataset.tabs = "off";
      } else {
        delete editor.dataset.tabs;
      }
    });
    editor.addEventListener("blur", () => delete editor.dataset.tabs);
    body.append(editor);
    return body;
  }
  if (open.kind === "loading") {
    body.append(h("div", { class: "ws-skeleton ws-skeleton-code", role: "status", "aria-label": "Loading file" },
      [60, 82, 45, 70, 30, 66].map((w) => h("span", { style: `width:${w}%` }))));
  } else if (open.kind === "text") {
    if (!open.content) {
      body.append(emptyState("filetext", "This file is empty", null,
        h("button", { class: "button small", type: "button", onclick: startEdit }, icon("edit", { size: 14 }), "Edit")));
      return body;
    }
    const code = h("code", { class: `language-${languageForFile(name) || "plaintext"}` });
    code.textContent = open.content;
    highlightCode(code, languageForFile(name));
    const count = lineCount(open.content);
    const gutter = h("pre", { class: "ws-gutter", "aria-hidden": "true" },
      Array.from({ length: Math.max(1, count) }, (_, i) => i + 1).join("\n"));
    body.append(h("div", { class: "ws-code", tabindex: "0", role: "region", "aria-label": `Contents of ${name}` },
      gutter, h("pre", { class: "ws-src" }, code)));
  } else if (open.kind === "image") {
    const img = h("img", { src: open.src, alt: name, class: "ws-img", decoding: "async" });
    img.addEventListener("load", () => {
      open.dimensions = `${img.naturalWidth} × ${img.naturalHeight}`;
      updateEditState();
    });
    img.addEventListener("error", async () => {
      // The <img> cannot say why: ask again to get the server's words (a refused path, a missing file).
      let message = "The browser cannot display this image.";
      try {
        await api.fetchRaw("/api/file/raw", { session_id: ws.sessionId, path: open.path });
      } catch (err) {
        message = err.message;
      }
      if (ws.open !== open) return;
      open.kind = "error";
      open.error = message;
      renderPreview();
    });
    body.append(h("div", { class: "ws-image" }, img));
  } else if (open.kind === "binary" || open.kind === "large") {
    body.append(h("div", { class: "ws-message" },
      h("div", { class: "ws-empty-icon" }, icon(open.kind === "binary" ? "file" : "alert", { size: 26 })),
      h("p", { class: "ws-empty-title" }, open.kind === "binary" ? "Binary file" : "Too large to preview"),
      h("p", { class: "ws-empty-text" }, open.kind === "binary" ? `“${name}” is not text, so it is not shown here.` : open.error),
      h("a", { class: "button small", href: rawUrl(open.path, { download: 1 }), download: name }, icon("download", { size: 15 }),
        `Download${open.size ? ` (${formatBytes(open.size)})` : ""}`)));
  } else if (open.kind === "error") {
    body.append(h("div", { class: "ws-error", role: "alert" }, icon("alert", { size: 18 }),
      h("div", {}, h("strong", {}, "Cannot open this file"), h("p", { class: "ws-error-text" }, open.error),
        h("div", { class: "ws-error-actions" },
          h("button", { class: "button small", type: "button", onclick: () => openFile(open.path, { force: true }) },
            icon("refresh", { size: 14 }), "Try again")))));
  }
  return body;
}

/** What Tab inserts: a tab where the file already indents with tabs, else spaces (4 for Python and kin). */
function indentFor(open) {
  const text = open.content || "";
  if (/^\t/m.test(text)) return "\t";
  if (/^ {2}\S/m.test(text) && !/^ {4}\S/m.test(text)) return "  ";
  const lang = languageForFile(baseName(open.path));
  return ["python", "rust", "java", "c", "cpp", "php", "go"].includes(lang) ? "    " : lang ? "  " : "    ";
}

function toggleWide() {
  const wide = ws.root.dataset.wide !== "true";
  ws.root.dataset.wide = String(wide);
  renderPreview();
  ws.els.preview.querySelector(".ws-wide-toggle")?.focus();
}

// ---- uploads -------------------------------------------------------------------------------------

function chooseUpload(folder) {
  if (!ws.sessionId || !ws.workspace) return;
  uploadFolder = folder;
  ws.els.input.click();
}

function sendUpload(upload, file) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("session_id", ws.sessionId);
    form.append("path", upload.folder);
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/upload");
    for (const [name, value] of Object.entries(api.csrfHeaders())) xhr.setRequestHeader(name, value);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      upload.progress = event.loaded / event.total;
      if (upload.bar) upload.bar.style.width = `${Math.round(upload.progress * 100)}%`;
    });
    xhr.addEventListener("load", () => {
      const data = xhr.response;
      if (xhr.status === 401) api.loginEnded();
      else if (xhr.status >= 200 && xhr.status < 300) resolve(data || {});
      else reject(new api.ApiError((data && data.error) || `${xhr.status} ${xhr.statusText}`, xhr.status, data));
    });
    xhr.addEventListener("error", () => reject(new api.ApiError(
      "The connection closed during the upload (the file may be larger than the server accepts).", 0)));
    xhr.send(form);
  });
}

async function uploadFiles(fileList, folder = ws.folder) {
  const files = [...(fileList || [])];
  if (!files.length || !ws.sessionId || !ws.workspace) return;
  const epoch = ws.epoch;
  if (ws.view === "preview" && !dirty()) {
    ws.view = "tree";
    renderHead();
    renderPreview();
  }
  ws.folder = folder;
  if (folder !== "." && !ws.expanded.has(folder)) {
    ws.expanded.add(folder);
    if (!ws.dirs.get(folder)?.entries) await loadDir(folder);
  }
  const rows = files.map((file) => ({ id: ++uploadSeq, name: file.name, folder, progress: 0, file }));
  ws.uploads.push(...rows);
  renderTree();
  const saved = [];
  for (const row of rows) {
    try {
      const result = await sendUpload(row, row.file);
      for (const item of result.files || [result]) if (item.rel_path) saved.push(item.rel_path);
    } catch (err) {
      toastError(new Error(`Could not upload “${row.name}”: ${err.message}`));
    }
    ws.uploads = ws.uploads.filter((u) => u !== row);
    if (epoch !== ws.epoch) return;
  }
  for (const path of saved) ws.flash.add(path);
  await reloadFolders([folder]);
  if (saved.length) {
    const where = folder === "." ? "" : ` to ${folder}/`;
    toast(saved.length === 1 ? `Uploaded “${baseName(saved[0])}”${where}` : `Uploaded ${saved.length} files${where}`, { timeout: 3000 });
  }
}

function installDrop(root) {
  let depth = 0;
  let target = null;
  const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  const folderAt = (node) => {
    const li = node?.closest?.('[role="treeitem"]');
    if (li && ws.view === "tree") return li.dataset.type === "dir" ? li.dataset.path : parentOf(li.dataset.path);
    return ws.folder;
  };
  const show = (folder) => {
    const ready = ws.sessionId && ws.workspace;
    ws.els.drop.hidden = false;
    root.classList.add("ws-dragging");
    ws.els.drop.querySelector(".ws-drop-text").textContent = !ready ? "Open a session to upload files"
      : folder === "." ? "Drop to upload to the workspace" : `Drop to upload to ${folder}/`;
    for (const row of root.querySelectorAll(".ws-item.drop-target")) row.classList.remove("drop-target");
    if (folder !== "." && ready) root.querySelector(`[role="treeitem"][data-path="${CSS.escape(folder)}"]`)?.classList.add("drop-target");
  };
  const hide = () => {
    depth = 0;
    ws.els.drop.hidden = true;
    root.classList.remove("ws-dragging");
    for (const row of root.querySelectorAll(".ws-item.drop-target")) row.classList.remove("drop-target");
  };
  root.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth += 1;
    target = folderAt(event.target);
    show(target);
  });
  root.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = ws.sessionId && ws.workspace ? "copy" : "none";
    const folder = folderAt(event.target);
    if (folder !== target) {
      target = folder;
      show(folder);
    }
  });
  root.addEventListener("dragleave", (event) => {
    if (!hasFiles(event)) return;
    depth -= 1;
    if (depth <= 0 || (event.relatedTarget && !root.contains(event.relatedTarget))) hide();
  });
  root.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    const folder = folderAt(event.target);
    hide();
    // A dropped folder arrives as a file that cannot be read: say so instead of failing mid-upload.
    const folders = new Set([...(event.dataTransfer.items || [])]
      .map((item) => (item.kind === "file" && item.webkitGetAsEntry?.()?.isDirectory ? item.getAsFile()?.name : null))
      .filter(Boolean));
    if (folders.size) {
      toastError(new Error(`Folders cannot be uploaded (${[...folders].join(", ")}): drop the files inside them instead.`));
    }
    uploadFiles([...event.dataTransfer.files].filter((file) => !folders.has(file.name)), folder);
  });
  window.addEventListener("dragend", hide);
  window.addEventListener("drop", hide);
}

// ---- wiring --------------------------------------------------------------------------------------

export function initWorkspace(root) {
  ws.root = root;
  build(root);
  installDrop(root);
  const tree = ws.els.tree;
  tree.addEventListener("click", onTreeClick);
  tree.addEventListener("contextmenu", onTreeContextMenu);
  tree.addEventListener("keydown", onTreeKeydown);
  tree.addEventListener("focusin", (event) => {
    const li = event.target.closest?.('[role="treeitem"]');
    if (li && event.target === li) ws.focused = li.dataset.path;
  });

  root.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    if (ws.view === "preview" && !ws.open?.editing) {
      event.preventDefault();
      leavePreview();
    } else if (ws.view === "preview" && ws.open?.editing && !event.target.closest(".ws-editor")) {
      event.preventDefault();
      stopEdit();
    }
  });
  document.addEventListener("keydown", (event) => {
    const mod = event.ctrlKey || event.metaKey;
    if (mod && !event.shiftKey && !event.altKey && event.key.toLowerCase() === "s" && ws.open?.editing) {
      event.preventDefault();
      save();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    const drafts = dirty() || [...memory.values()].some((m) => m.open?.editing && m.open.draft !== m.open.content);
    if (drafts) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  on("session-selected", ({ id }) => {
    const session = state.session && state.session.session_id === id ? state.session : null;
    switchSession(id || null, session);
  });
  on("session-loaded", ({ session }) => {
    if (!session) return;
    if (session.session_id === ws.sessionId) setWorkspace(session.workspace);
    else if (session.session_id === state.sessionId) switchSession(session.session_id, session);
  });
  on("session-updated", ({ session }) => {
    if (session && session.session_id === ws.sessionId && session.workspace) setWorkspace(session.workspace);
  });
  on("session-removed", ({ id }) => {
    if (id) memory.delete(id);
  });
  on("workspace-changed", ({ session_id: id }) => {
    if (!id || id === ws.sessionId) changed();
  });
  on("toggle-workspace", () => {
    requestAnimationFrame(() => {
      if (!panelOpen()) return;
      const target = ws.view === "preview"
        ? ws.els.preview.querySelector(ws.open?.editing ? ".ws-editor" : ".ws-back")
        : ws.els.tree.querySelector('[role="treeitem"][tabindex="0"]');
      if (target) target.focus({ preventScroll: true });
      else if (ws.view === "tree" && ws.sessionId) {
        ws.wantFocus = true; // still listing: focus the first row when it arrives
        ws.els.tree.focus({ preventScroll: true });
      } else ws.els.buttons.close.focus({ preventScroll: true });
    });
  });

  const app = root.closest(".app");
  if (app) {
    new MutationObserver(() => {
      if (panelOpen()) loadIfShown();
      else {
        closeMenu({ restore: false });
        if (root.contains(document.activeElement)) document.getElementById("composer-input")?.focus();
      }
    }).observe(app, { attributes: true, attributeFilter: ["data-workspace"] });
  }
  render();
  if (state.sessionId) switchSession(state.sessionId, state.session);
  return Promise.resolve();
}
