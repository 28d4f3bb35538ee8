// The sessions sidebar: new chat, search, project filters, the session list (grouped by recency, paged by
// keyset as the user scrolls), per-row actions (rename, pin, move, branch, export, archive, delete with
// undo), the Archived view, the theme toggle and a slot for the account button. Talks to the other panels only through the bus.
//
// The list never holds every session: pages of 50 are fetched when a sentinel at the bottom of the list
// comes near the viewport. In the Chats view the pinned sessions are paged first (`pinned=true`), then
// the rest (`pinned=false`), so Pinned is always complete before the first dated group.

import * as api from "./api.js";
import { emit, on } from "./bus.js";
import { debounce, download, h, icon, moveMenuFocus } from "./dom.js";
import { editProject } from "./project_dialog.js";
import { selectSession, state } from "./state.js";
import { currentTheme, cycleTheme } from "./theme.js";
import { toast, toastError } from "./toast.js";

const PAGE = 50;
const UNDO_MS = 6000;
const SEARCH_DEBOUNCE_MS = 200;
const DAY = 86_400_000;
const GROUPS = [
  ["pinned", "Pinned"],
  ["today", "Today"],
  ["yesterday", "Yesterday"],
  ["week", "Previous 7 days"],
  ["month", "Previous 30 days"],
  ["older", "Older"],
];
const PALETTE = ["#6366f1", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#ec4899", "#8b5cf6", "#64748b"];
const THEME_ICONS = { system: "monitor", light: "sun", dark: "moon" };
const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent || "");
const MOD = IS_MAC ? "⌘" : "Ctrl ";

const titleOf = (s) => (s && s.title && s.title.trim()) || "Untitled";
const activity = (s) => Number(s.last_message_at || s.updated_at || s.created_at || 0);
const escapeRe = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The words of a search query, as the server splits them (for highlighting). */
function queryWords(q) {
  return (q.match(/[\p{L}\p{N}_]+/gu) || []).slice(0, 16);
}

/** Text with the query's words wrapped in <mark> (text nodes only, never HTML). */
function highlighted(text, words) {
  if (!words.length) return [text];
  const re = new RegExp(`(${words.map(escapeRe).join("|")})`, "iu");
  // split() with one capturing group: the odd-numbered pieces are the matches.
  return text.split(re).map((part, i) => (i % 2 ? h("mark", {}, part) : part)).filter((part) => part !== "");
}

function bucketOf(s, archivedView) {
  if (s.pinned && !archivedView) return "pinned";
  const t = activity(s) * 1000;
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const today = midnight.getTime();
  if (t >= today) return "today";
  if (t >= today - DAY) return "yesterday";
  if (t >= today - 7 * DAY) return "week";
  if (t >= today - 30 * DAY) return "month";
  return "older";
}

function filenameFrom(disposition) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition || "");
  return match ? decodeURIComponent(match[1]) : null;
}

export function initSidebar(root) {
  const view = { archived: false, project: null, query: "" };
  const known = new Map(); // session_id -> the freshest compact session seen
  const rows = new Map(); // session_id -> <li> in the list of the current view
  const pendingDeletes = new Map(); // session_id -> {commit}
  const undoToasts = new Map(); // session_id -> the archive toast still offering Undo
  let projects = [];
  let pager = null;
  let menu = null;

  // ---- shell ------------------------------------------------------------------------------------------
  const searchInput = h("input", {
    class: "sb-search-input", type: "search", "aria-label": "Search chats", placeholder: "Search chats",
    autocomplete: "off", spellcheck: "false", enterkeyhint: "search", maxlength: "500",
  });
  const searchKbd = h("span", { class: "kbd sb-search-kbd", "aria-hidden": "true" }, `${MOD}K`);
  const searchClear = h("button", { class: "icon-button sb-search-clear", type: "button", "aria-label": "Clear search", hidden: true },
    icon("x", { size: 15 }));
  const chips = h("div", { class: "sb-chips", role: "group", "aria-label": "Filter by project", hidden: true });
  const viewBar = h("div", { class: "sb-viewbar", hidden: true },
    h("span", { class: "sb-viewbar-title" }, icon("archive", { size: 15 }), "Archived chats"),
    h("button", { class: "button small ghost", type: "button", onclick: () => setView({ archived: false }) },
      icon("back", { size: 14 }), "Back to chats"));

  const groups = new Map();
  const nav = h("nav", { class: "sb-list", "aria-label": "Chats" });
  for (const [key, label] of GROUPS) {
    const headingId = `sb-group-${key}`;
    const list = h("ul", { class: "sb-rows", role: "list" });
    const section = h("section", { class: `sb-group sb-group-${key}`, "aria-labelledby": headingId, hidden: true },
      h("h2", { class: "sb-group-title", id: headingId }, key === "pinned" ? icon("pin", { size: 12 }) : null, label), list);
    groups.set(key, { section, list });
    nav.append(section);
  }
  const skeleton = h("div", { class: "sb-skeleton", "aria-hidden": "true" },
    h("div", { class: "sb-skel-head" }), Array.from({ length: 9 }, (_, i) => h("div", { class: "sb-skel-row", style: `--w:${[82, 64, 90, 55, 73, 60, 86, 48, 70][i]}%` })));
  const loadingLabel = h("span", { class: "visually-hidden", role: "status" }, "Loading chats…");
  const empty = h("div", { class: "sb-empty", hidden: true });
  const sentinel = h("div", { class: "sb-sentinel", "aria-hidden": "true" });
  const moreSpinner = h("div", { class: "sb-loading-more", hidden: true }, h("span", { class: "sb-spinner" }), "Loading…");
  const listPane = h("div", { class: "sb-list-pane" }, skeleton, loadingLabel, nav, empty, sentinel, moreSpinner);
  const resultsHead = h("div", { class: "sb-results-head", role: "status", "aria-live": "polite" });
  const resultsList = h("ul", { class: "sb-rows sb-results-rows", role: "list" });
  const resultsPane = h("section", { class: "sb-results", "aria-label": "Search results", hidden: true }, resultsHead, resultsList);
  const scroller = h("div", { class: "sb-scroll" }, listPane, resultsPane);

  const archivedToggle = h("button", { class: "sb-foot-button", type: "button", "aria-pressed": "false", title: "Show archived chats" },
    icon("archive", { size: 16 }), h("span", {}, "Archived"));
  const themeButton = h("button", { class: "icon-button sb-theme", type: "button" });

  root.replaceChildren(h("div", { class: "sb-inner" },
    h("div", { class: "sb-header" },
      h("div", { class: "sb-brand" },
        h("a", { class: "sb-logo", href: "#/", "aria-label": "threadkeep, home", onclick: (e) => { e.preventDefault(); selectSession(null); } },
          h("span", { class: "sb-logo-mark", "aria-hidden": "true" }, icon("logo", { size: 17 })),
          h("span", { class: "sb-logo-name", "aria-hidden": "true" }, "threadkeep")),
        h("button", { class: "icon-button sb-collapse", type: "button", "aria-label": "Hide sidebar", title: `Hide sidebar (${MOD}B)`,
          onclick: () => emit("toggle-sidebar") }, icon("panel"))),
      h("button", { class: "sb-new", type: "button", title: `New chat (${MOD}${IS_MAC ? "⇧" : "Shift+"}O)`, onclick: () => emit("new-chat") },
        icon("compose", { size: 17 }), h("span", { class: "sb-new-label" }, "New chat"),
        h("span", { class: "kbd sb-new-kbd", "aria-hidden": "true" }, `${MOD.trim()}⇧O`)),
      h("div", { class: "sb-search", role: "search" },
        h("span", { class: "sb-search-icon", "aria-hidden": "true" }, icon("search", { size: 16 })),
        searchInput, searchKbd, searchClear),
      chips),
    viewBar,
    scroller,
    h("div", { class: "sb-footer" }, archivedToggle, h("span", { class: "sb-footer-space" }), themeButton),
    h("div", { class: "sb-account", id: "sb-account" }))); // account.js fills it

  // ---- rows ---------------------------------------------------------------------------------------------
  function projectOf(s) {
    return s.project_id ? projects.find((p) => p.project_id === s.project_id) || null : null;
  }

  function projectColor(p) {
    if (!p) return null;
    if (p.color) return p.color;
    let hash = 0;
    for (const ch of p.project_id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return PALETTE[hash % PALETTE.length];
  }

  function buildRow(s, { words = null } = {}) {
    const id = s.session_id;
    const link = h("a", { class: "sb-link", href: `#/s/${id}`, draggable: "false" });
    const more = h("button", { class: "icon-button sb-more", type: "button", "aria-label": "Session actions",
      "aria-haspopup": "menu", "aria-expanded": "false", title: "More actions" }, icon("more", { size: 18 }));
    const li = h("li", { class: "sb-item", dataset: { id } }, link, more);
    li._words = words;
    if (words) {
      li._match = s.match_type || "title";
      li._snippet = s.snippet || null;
    }
    fillRow(li, s);
    return li;
  }

  function fillRow(li, s) {
    const link = li.querySelector(".sb-link");
    const title = titleOf(s);
    const project = projectOf(s);
    const dot = project ? h("span", { class: "sb-dot", style: `--dot:${projectColor(project)}`, title: project.name, "aria-hidden": "true" }) : null;
    const main = h("span", { class: "sb-link-main" },
      dot,
      h("span", { class: "sb-title" }, li._words ? highlighted(title, li._words) : title),
      s.is_streaming ? h("span", { class: "sb-live", title: "Responding…" }, h("span", { class: "visually-hidden" }, ", responding")) : null);
    const parts = [main];
    if (li._words) {
      // Match type, state and snippet describe the link (aria-describedby) rather than name it.
      const metaId = `sb-meta-${s.session_id}`;
      const content = li._match === "content";
      const meta = h("span", { class: "sb-meta", id: metaId },
        h("span", { class: "sb-badges" },
          h("span", { class: `sb-badge sb-badge-${li._match}`, title: content ? "Matched in the messages" : "Matched in the title" },
            content ? "content" : "title"),
          s.archived ? h("span", { class: "sb-badge sb-badge-archived" }, "archived") : null,
          project ? h("span", { class: "sb-badge-project" }, project.name) : null),
        li._snippet ? h("span", { class: "sb-snippet" }, highlighted(li._snippet, li._words)) : null);
      parts.push(meta);
      link.setAttribute("aria-describedby", metaId);
    }
    link.replaceChildren(...parts);
    link.title = project ? `${title} · ${project.name}` : title;
    li.classList.toggle("is-search", !!li._words);
    li.classList.toggle("is-streaming", !!s.is_streaming);
    if (s.session_id === state.sessionId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }

  function rowsFor(id) {
    const out = [];
    if (rows.has(id)) out.push(rows.get(id));
    for (const li of resultsList.children) if (li.dataset.id === id) out.push(li);
    return out;
  }

  /** Put a list row in its group, ordered by activity (newest first); cheap when nothing changed. */
  function placeRow(li, s) {
    const group = bucketOf(s, view.archived);
    const key = activity(s);
    if (li.isConnected && li._group === group && li._key === key) return;
    const list = groups.get(group).list;
    li._group = group;
    li._key = key;
    let before = null;
    for (let c = list.lastElementChild; c && c._key < key; c = c.previousElementSibling) before = c;
    if (before === li) before = li.nextElementSibling;
    list.insertBefore(li, before);
  }

  function syncGroups() {
    for (const { section, list } of groups.values()) {
      section.hidden = !list.querySelector(":scope > li:not([hidden])");
    }
  }

  function matchesView(s) {
    return !!s.archived === view.archived && (!view.project || s.project_id === view.project);
  }

  function addRow(s) {
    if (rows.has(s.session_id)) return;
    const li = buildRow(s);
    rows.set(s.session_id, li);
    placeRow(li, s);
  }

  function removeRow(id) {
    const li = rows.get(id);
    if (li) {
      li.remove();
      rows.delete(id);
    }
  }

  function visibleRowCount() {
    let n = 0;
    for (const li of rows.values()) if (!li.hidden) n += 1;
    return n;
  }

  /** The session to open when `id` (the open one) leaves the list: the next row, else the previous. */
  function neighbourOf(id) {
    const links = [...nav.querySelectorAll("li.sb-item:not([hidden]) > .sb-link")];
    const at = links.findIndex((a) => a.parentElement.dataset.id === id);
    if (at < 0) return null;
    const next = links[at + 1] || links[at - 1];
    return next ? next.parentElement.dataset.id : null;
  }

  // ---- paging -------------------------------------------------------------------------------------------
  function newPager() {
    return {
      phases: view.archived ? [{ archived: true }] : [{ archived: false, pinned: true }, { archived: false, pinned: false }],
      phase: 0, cursor: null, loading: false, done: false, failed: false, first: true,
      oldest: Infinity, controller: new AbortController(),
    };
  }

  async function loadMore() {
    const p = pager;
    if (!p || p.loading || p.done) return;
    p.loading = true;
    p.failed = false;
    moreSpinner.hidden = p.first;
    try {
      for (;;) {
        const phase = p.phases[p.phase];
        const params = { limit: PAGE, cursor: p.cursor, project_id: view.project, ...phase };
        const data = await api.get("/api/sessions", params, { signal: p.controller.signal });
        if (p !== pager) return;
        const list = data.sessions || [];
        for (const s of list) {
          if (pendingDeletes.has(s.session_id) || rows.has(s.session_id)) continue; // events already placed it
          known.set(s.session_id, { ...known.get(s.session_id), ...s });
          if (!s.pinned || view.archived) p.oldest = Math.min(p.oldest, Number(s.updated_at) || 0);
          addRow(s);
        }
        if (data.next_cursor) {
          p.cursor = data.next_cursor;
          break;
        }
        p.phase += 1;
        p.cursor = null;
        if (p.phase >= p.phases.length) {
          p.done = true;
          break;
        }
        if (list.length >= PAGE / 2) break; // enough for now; the next phase starts on scroll
      }
    } catch (err) {
      if (err.name === "AbortError" || p !== pager) return;
      p.failed = true;
      toastError(err);
    } finally {
      p.loading = false;
      if (p === pager) {
        p.first = false;
        moreSpinner.hidden = true;
        skeleton.hidden = true;
        loadingLabel.textContent = "";
        syncGroups();
        renderEmpty();
      }
    }
    if (p === pager && !p.done && !p.failed) recheckSentinel();
  }

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { root: scroller, rootMargin: "0px 0px 480px 0px" });
  observer.observe(sentinel);
  // An observer only reports changes: after a page lands with the sentinel still in sight, ask again.
  function recheckSentinel() {
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  }

  function resetList() {
    if (pager) pager.controller.abort();
    rows.clear();
    for (const { list, section } of groups.values()) {
      list.replaceChildren();
      section.hidden = true;
    }
    empty.hidden = true;
    skeleton.hidden = false;
    loadingLabel.textContent = "Loading chats…";
    scroller.scrollTop = 0;
    pager = newPager();
    return loadMore();
  }

  function renderEmpty() {
    if (!pager || pager.first) return;
    if (visibleRowCount() > 0 || (!pager.done && !pager.failed)) {
      empty.hidden = true;
      if (visibleRowCount() === 0 && !pager.loading) loadMore();
      return;
    }
    empty.hidden = false;
    if (pager.failed) {
      empty.replaceChildren(icon("alert", { size: 22 }), h("p", { class: "sb-empty-title" }, "Couldn’t load chats"),
        h("button", { class: "button small", type: "button", onclick: () => resetList() }, icon("refresh", { size: 14 }), "Try again"));
      return;
    }
    const project = view.project ? projects.find((p) => p.project_id === view.project) : null;
    if (view.archived) {
      empty.replaceChildren(icon("archive", { size: 22 }), h("p", { class: "sb-empty-title" }, "No archived chats"),
        h("p", { class: "sb-empty-text" }, project ? `Nothing archived in ${project.name}.` : "Chats you archive are kept here, out of the way."));
    } else if (project) {
      empty.replaceChildren(icon("folder", { size: 22 }), h("p", { class: "sb-empty-title" }, `No chats in ${project.name}`),
        h("p", { class: "sb-empty-text" }, "Move a chat here from its ⋯ menu."));
    } else {
      empty.replaceChildren(icon("chat", { size: 22 }), h("p", { class: "sb-empty-title" }, "No chats yet — start one"),
        h("button", { class: "button small primary", type: "button", onclick: () => emit("new-chat") }, icon("plus", { size: 14 }), "New chat"));
    }
  }

  // ---- views and filters ------------------------------------------------------------------------------
  function setView(patch) {
    const before = `${view.archived}|${view.project}`;
    Object.assign(view, patch);
    archivedToggle.setAttribute("aria-pressed", String(view.archived));
    archivedToggle.classList.toggle("is-on", view.archived);
    viewBar.hidden = !view.archived;
    nav.setAttribute("aria-label", view.archived ? "Archived chats" : "Chats");
    renderChips();
    if (view.query) renderResults(lastResults);
    if (`${view.archived}|${view.project}` !== before) resetList();
  }

  function renderChips() {
    chips.hidden = projects.length === 0;
    if (chips.hidden) return;
    const chip = (p) => {
      const id = p ? p.project_id : null;
      const pressed = view.project === id;
      const button = h("button", { class: "sb-chip", type: "button", "aria-pressed": String(pressed), title: p ? `Show only ${p.name}` : "All projects",
        onclick: () => setView({ project: pressed && id ? null : id }) },
      p ? h("span", { class: "sb-dot", style: `--dot:${projectColor(p)}`, "aria-hidden": "true" }) : null,
      h("span", { class: "sb-chip-label" }, p ? p.name : "All"));
      if (!p) return button;
      // Right-click, F2 or the pencil (shown on hover, and always on the chosen project) edit the project.
      button.addEventListener("contextmenu", (event) => { event.preventDefault(); editChipProject(p); });
      button.addEventListener("keydown", (event) => { if (event.key === "F2") { event.preventDefault(); editChipProject(p); } });
      return h("span", { class: "sb-chip-group", dataset: { active: String(pressed) } }, button,
        h("button", { class: "icon-button sb-chip-edit", type: "button", "aria-label": `Edit project ${p.name}`, title: "Rename or delete this project",
          onclick: () => editChipProject(p) }, icon("edit", { size: 13 })));
    };
    chips.replaceChildren(chip(null), ...projects.map(chip));
  }

  async function editChipProject(project) {
    let outcome;
    try {
      outcome = await editProject(project, PALETTE);
    } catch (err) {
      toastError(err);
      return;
    }
    if (!outcome) return;
    if (outcome.project) {
      projects = projects.map((p) => (p.project_id === outcome.project.project_id ? outcome.project : p));
      toast(`Project saved as ${outcome.project.name}`, { timeout: 3000 });
    } else {
      projects = projects.filter((p) => p.project_id !== outcome.deleted);
      for (const s of known.values()) if (s.project_id === outcome.deleted) s.project_id = null; // the server did the same
      toast(`Project ${project.name} deleted; its chats are kept`, { timeout: 4000 });
    }
    if (view.project && !projects.some((p) => p.project_id === view.project)) setView({ project: null });
    renderChips();
    for (const [id, li] of rows) fillRow(li, known.get(id));
  }

  async function loadProjects() {
    try {
      projects = (await api.get("/api/projects")).projects || [];
    } catch (err) {
      projects = [];
      toastError(err);
    }
    if (view.project && !projects.some((p) => p.project_id === view.project)) view.project = null;
    renderChips();
    for (const [id, li] of rows) fillRow(li, known.get(id));
  }

  archivedToggle.addEventListener("click", () => setView({ archived: !view.archived }));

  function paintTheme() {
    const theme = currentTheme();
    themeButton.replaceChildren(icon(THEME_ICONS[theme] || "monitor"));
    themeButton.setAttribute("aria-label", `Theme: ${theme}`);
    themeButton.title = `Theme: ${theme} (click to change)`;
  }
  themeButton.addEventListener("click", () => {
    cycleTheme();
    paintTheme();
  });
  paintTheme();

  // ---- search -------------------------------------------------------------------------------------------
  let searchController = null;
  let lastResults = null;
  let searchSeq = 0;

  const runSearch = debounce(async (q) => {
    if (searchController) searchController.abort();
    searchController = new AbortController();
    const seq = ++searchSeq;
    try {
      const data = await api.get("/api/sessions/search", { q, limit: 50 }, { signal: searchController.signal });
      if (seq !== searchSeq || q !== view.query) return;
      for (const s of data.sessions || []) {
        const { match_type: _m, snippet: _s, ...plain } = s;
        known.set(s.session_id, { ...known.get(s.session_id), ...plain });
      }
      lastResults = { query: q, sessions: data.sessions || [] };
      renderResults(lastResults);
    } catch (err) {
      if (err.name !== "AbortError" && seq === searchSeq) toastError(err);
    } finally {
      if (seq === searchSeq) resultsPane.classList.remove("is-busy");
    }
  }, SEARCH_DEBOUNCE_MS);

  function renderResults(results) {
    if (!results) return;
    const words = queryWords(results.query);
    const hits = results.sessions.filter((s) => !pendingDeletes.has(s.session_id) && (!view.project || s.project_id === view.project));
    resultsList.replaceChildren(...hits.map((s) => buildRow({ ...s, ...known.get(s.session_id), match_type: s.match_type, snippet: s.snippet }, { words })));
    const scope = view.project ? ` in ${projects.find((p) => p.project_id === view.project)?.name || "this project"}` : "";
    if (hits.length) {
      resultsHead.replaceChildren(`${hits.length}${hits.length >= 50 ? "+" : ""} ${hits.length === 1 ? "match" : "matches"}${scope}`);
      resultsHead.classList.remove("is-empty");
    } else {
      resultsHead.replaceChildren(icon("search", { size: 22 }), h("p", { class: "sb-empty-title" }, `No matches for “${results.query}”${scope}`),
        h("p", { class: "sb-empty-text" }, "Titles and message text are searched."));
      resultsHead.classList.add("is-empty");
    }
  }

  function onSearchInput() {
    const q = searchInput.value.trim();
    searchClear.hidden = !searchInput.value;
    searchKbd.hidden = !!searchInput.value;
    if (q === view.query) return;
    view.query = q;
    if (!q) {
      runSearch.cancel();
      if (searchController) searchController.abort();
      searchSeq += 1;
      lastResults = null;
      resultsPane.hidden = true;
      listPane.hidden = false;
      resultsList.replaceChildren();
      return;
    }
    if (resultsPane.hidden) {
      resultsHead.replaceChildren("Searching…");
      resultsHead.classList.remove("is-empty");
      resultsList.replaceChildren();
    }
    resultsPane.hidden = false;
    listPane.hidden = true;
    resultsPane.classList.add("is-busy");
    runSearch(q);
  }

  function clearSearch() {
    searchInput.value = "";
    onSearchInput();
  }

  searchInput.addEventListener("input", onSearchInput);
  searchInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      if (searchInput.value) clearSearch();
      else searchInput.blur();
    } else if (event.key === "ArrowDown") {
      const first = scroller.querySelector(`${view.query ? ".sb-results" : ".sb-list"} li.sb-item:not([hidden]) > .sb-link`);
      if (first) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === "Enter" && view.query) {
      const first = resultsList.querySelector(".sb-link");
      if (first) {
        event.preventDefault();
        selectSession(first.parentElement.dataset.id);
      }
    }
  });
  searchClear.addEventListener("click", () => {
    clearSearch();
    searchInput.focus();
  });

  // ---- clicks, keys and the context menu on rows ------------------------------------------------------
  scroller.addEventListener("click", (event) => {
    const more = event.target.closest(".sb-more");
    if (more) {
      const id = more.parentElement.dataset.id;
      if (menu && menu.anchor === more) closeMenu();
      else openMenu(id, { anchor: more });
      return;
    }
    const link = event.target.closest("a.sb-link");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    const id = link.parentElement.dataset.id;
    if (id === state.sessionId) emit("session-selected", { id }); // re-announce: closes the phone drawer
    else selectSession(id);
  });

  scroller.addEventListener("contextmenu", (event) => {
    const li = event.target.closest("li.sb-item");
    if (!li || li.classList.contains("is-renaming")) return;
    event.preventDefault();
    if (event.clientX === 0 && event.clientY === 0) openMenu(li.dataset.id, { anchor: li.querySelector(".sb-more") });
    else openMenu(li.dataset.id, { x: event.clientX, y: event.clientY, focusBack: li.querySelector(".sb-link") });
  });

  scroller.addEventListener("keydown", (event) => {
    const link = event.target.closest?.("a.sb-link");
    if (!link) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const links = [...(view.query ? resultsList : nav).querySelectorAll("li.sb-item:not([hidden]) > .sb-link")];
      const at = links.indexOf(link);
      const next = links[at + (event.key === "ArrowDown" ? 1 : -1)];
      event.preventDefault();
      if (next) next.focus();
      else if (event.key === "ArrowUp") searchInput.focus();
    } else if (event.key === "F2") {
      event.preventDefault();
      startRename(link.parentElement.dataset.id);
    }
  });

  // Long lists: the scroll position closes an open menu (it would float away from its row).
  scroller.addEventListener("scroll", () => closeMenu(), { passive: true });

  // ---- the actions menu -----------------------------------------------------------------------------
  function menuItem({ label, iconName, run, danger = false, checked = false, dot = null, submenu = false }) {
    return h("button", { class: `menu-item${danger ? " danger" : ""}`, type: "button", role: "menuitem", tabindex: "-1",
      "aria-haspopup": submenu ? "menu" : null, "aria-current": checked ? "true" : null, onclick: run },
    dot ? h("span", { class: "sb-dot sb-menu-dot", style: `--dot:${dot}`, "aria-hidden": "true" }) : iconName ? icon(iconName, { size: 16 }) : h("span", { class: "sb-menu-pad" }),
    h("span", { class: "sb-menu-label" }, label),
    checked ? h("span", { class: "sb-menu-check" }, icon("check", { size: 15 })) : null,
    submenu ? h("span", { class: "sb-menu-sub" }, icon("chevron", { size: 15 })) : null);
  }

  function actionItems(id) {
    const s = known.get(id);
    const act = (fn) => () => {
      closeMenu({ restoreFocus: false });
      fn();
    };
    return [
      menuItem({ label: "Rename", iconName: "edit", run: act(() => startRename(id)) }),
      menuItem({ label: s.pinned ? "Unpin" : "Pin", iconName: s.pinned ? "unpin" : "pin", run: act(() => setPinned(id, !s.pinned)) }),
      menuItem({ label: "Move to project", iconName: "folder", submenu: true, run: () => showMenu(moveItems(id), "Move to project") }),
      menuItem({ label: "Branch", iconName: "branch", run: act(() => branch(id)) }),
      h("div", { class: "menu-sep", role: "separator" }),
      menuItem({ label: "Export JSON", iconName: "download", run: act(() => exportSession(id, "json")) }),
      menuItem({ label: "Export Markdown", iconName: "download", run: act(() => exportSession(id, "md")) }),
      h("div", { class: "menu-sep", role: "separator" }),
      menuItem({ label: s.archived ? "Unarchive" : "Archive", iconName: s.archived ? "unarchive" : "archive", run: act(() => setArchived(id, !s.archived)) }),
      menuItem({ label: "Delete", iconName: "trash", danger: true, run: act(() => deleteSession(id)) }),
    ];
  }

  function moveItems(id) {
    const s = known.get(id);
    const act = (fn) => () => {
      closeMenu({ restoreFocus: false });
      fn();
    };
    return [
      menuItem({ label: "Back", iconName: "back", run: () => showMenu(actionItems(id), `Actions for ${titleOf(s)}`, 2) }),
      h("div", { class: "menu-sep", role: "separator" }),
      h("div", { class: "menu-label", "aria-hidden": "true" }, "Move to project"),
      menuItem({ label: "No project", iconName: "x", checked: !s.project_id, run: act(() => moveTo(id, null)) }),
      ...projects.map((p) => menuItem({ label: p.name, dot: projectColor(p), checked: s.project_id === p.project_id, run: act(() => moveTo(id, p.project_id)) })),
      h("div", { class: "menu-sep", role: "separator" }),
      menuItem({ label: "New project…", iconName: "plus", run: act(() => newProjectThenMove(id)) }),
    ];
  }

  function showMenu(items, label, focusIndex = 0) {
    if (!menu) return;
    menu.el.replaceChildren(...items);
    menu.el.setAttribute("aria-label", label);
    position(menu);
    const buttons = menu.el.querySelectorAll(".menu-item");
    (buttons[focusIndex] || buttons[0])?.focus();
  }

  function position(m) {
    const el = m.el;
    el.style.left = "0px";
    el.style.top = "0px";
    const box = el.getBoundingClientRect();
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    let left;
    let top;
    if (m.anchor) {
      const r = m.anchor.getBoundingClientRect();
      left = r.right - box.width;
      top = r.bottom + 4;
      if (left < 8) left = r.left;
      if (top + box.height > vh - 8) top = r.top - box.height - 4;
    } else {
      left = m.x;
      top = m.y;
      if (left + box.width > vw - 8) left = m.x - box.width;
      if (top + box.height > vh - 8) top = m.y - box.height;
    }
    el.style.left = `${Math.max(8, Math.min(left, vw - box.width - 8))}px`;
    el.style.top = `${Math.max(8, Math.min(top, vh - box.height - 8))}px`;
  }

  function openMenu(id, { anchor = null, x = 0, y = 0, focusBack = null } = {}) {
    closeMenu({ restoreFocus: false });
    const s = known.get(id);
    if (!s) return;
    const el = h("div", { class: "menu sb-menu", role: "menu", "aria-label": `Actions for ${titleOf(s)}`, tabindex: "-1" });
    menu = { el, anchor, x, y, id, focusBack: focusBack || anchor };
    if (anchor) anchor.setAttribute("aria-expanded", "true");
    for (const row of rowsFor(id)) row.classList.add("menu-open");
    document.body.append(el);
    const onKey = (event) => {
      const items = [...el.querySelectorAll(".menu-item")];
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        closeMenu();
      } else if (moveMenuFocus(event, el)) {
        // moved
      } else if (event.key === "ArrowRight" && document.activeElement?.getAttribute("aria-haspopup") === "menu") {
        event.preventDefault();
        document.activeElement.click();
      } else if (event.key === "ArrowLeft" && el.querySelector(".icon-back")) {
        event.preventDefault();
        items[0].click();
      } else if (event.key === "Tab") {
        event.preventDefault();
        closeMenu();
      }
    };
    const onOutside = (event) => {
      if (!el.contains(event.target) && event.target !== anchor && !anchor?.contains(event.target)) closeMenu({ restoreFocus: false });
    };
    const onResize = () => closeMenu({ restoreFocus: false });
    el.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onOutside, true);
    window.addEventListener("resize", onResize);
    window.addEventListener("blur", onResize);
    menu.cleanup = () => {
      document.removeEventListener("pointerdown", onOutside, true);
      window.removeEventListener("resize", onResize);
      window.removeEventListener("blur", onResize);
    };
    showMenu(actionItems(id), `Actions for ${titleOf(s)}`);
  }

  function closeMenu({ restoreFocus = true } = {}) {
    if (!menu) return;
    const m = menu;
    menu = null;
    m.cleanup?.();
    m.el.remove();
    m.anchor?.setAttribute("aria-expanded", "false");
    for (const row of scroller.querySelectorAll(".menu-open")) row.classList.remove("menu-open");
    if (restoreFocus && m.focusBack?.isConnected) m.focusBack.focus();
  }

  // ---- actions ----------------------------------------------------------------------------------------
  function startRename(id) {
    const li = (view.query ? [...resultsList.children].find((r) => r.dataset.id === id) : null) || rows.get(id);
    const s = known.get(id);
    if (!li || !s || li.classList.contains("is-renaming")) return;
    const link = li.querySelector(".sb-link");
    const input = h("input", { class: "input sb-rename", type: "text", "aria-label": "Chat title", maxlength: "500", spellcheck: "false" });
    input.value = s.title || "";
    li.classList.add("is-renaming");
    link.hidden = true;
    li.insertBefore(input, link);
    input.focus();
    input.select();
    let finished = false;
    const finish = async (save, { refocus = true } = {}) => {
      if (finished) return;
      finished = true;
      const title = input.value.trim();
      input.remove();
      link.hidden = false;
      li.classList.remove("is-renaming");
      if (refocus) link.focus();
      if (!save || !title || title === s.title) return;
      const before = known.get(id);
      apply({ ...before, title }); // optimistic
      try {
        const { session } = await api.post("/api/session/rename", { session_id: id, title });
        emit("session-updated", { session });
      } catch (err) {
        apply(before);
        toastError(err);
      }
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        finish(true);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        finish(false);
      }
    });
    input.addEventListener("blur", () => finish(true, { refocus: false }));
  }

  async function setPinned(id, pinned) {
    try {
      const { session } = await api.post("/api/session/pin", { session_id: id, pinned });
      emit("session-updated", { session });
    } catch (err) {
      toastError(err);
    }
  }

  async function setArchived(id, archived, { undoable = true } = {}) {
    const s = known.get(id);
    try {
      const { session } = await api.post("/api/session/archive", { session_id: id, archived });
      const leaving = archived && !view.archived;
      if (leaving && state.sessionId === id) selectSession(neighbourOf(id));
      emit("session-updated", { session });
      if (leaving) emit("session-removed", { id });
      undoToasts.get(id)?.close(); // an older Undo for this chat would now undo the wrong thing
      undoToasts.delete(id);
      if (undoable) {
        const note = toast(archived ? `Archived “${titleOf(s)}”` : `Unarchived “${titleOf(s)}”`, {
          action: "Undo", timeout: UNDO_MS, onAction: () => setArchived(id, !archived, { undoable: false }),
          onTimeout: () => undoToasts.get(id) === note && undoToasts.delete(id),
        });
        undoToasts.set(id, note);
      }
    } catch (err) {
      toastError(err);
    }
  }

  async function moveTo(id, projectId) {
    try {
      const { session } = await api.post("/api/session/move", { session_id: id, project_id: projectId });
      emit("session-updated", { session });
      const p = projects.find((x) => x.project_id === projectId);
      toast(p ? `Moved to ${p.name}` : "Removed from its project", { timeout: 3000 });
    } catch (err) {
      toastError(err);
    }
  }

  async function newProjectThenMove(id) {
    const project = await newProjectDialog();
    if (!project) return;
    projects = [...projects, project];
    renderChips();
    await moveTo(id, project.project_id);
  }

  function newProjectDialog() {
    return new Promise((resolve) => {
      const name = h("input", { class: "input", id: "sb-project-name", type: "text", maxlength: "200", required: true, autocomplete: "off", placeholder: "e.g. Research" });
      const swatches = PALETTE.map((color, i) => h("label", { class: "sb-swatch", title: color },
        h("input", { type: "radio", name: "sb-project-color", value: color, checked: i === projects.length % PALETTE.length, "aria-label": `Colour ${i + 1}` }),
        h("span", { style: `--dot:${color}` })));
      const error = h("p", { class: "sb-dialog-error", role: "alert", hidden: true });
      const create = h("button", { class: "button primary", type: "submit" }, "Create and move");
      const form = h("form", { method: "dialog" },
        h("div", { class: "dialog-body" },
          h("h2", { id: "sb-project-title" }, "New project"),
          h("p", {}, "Projects group related chats; the chat is moved into it."),
          h("label", { class: "sb-field-label", for: "sb-project-name" }, "Name"), name,
          h("fieldset", { class: "sb-swatches" }, h("legend", { class: "sb-field-label" }, "Colour"), swatches),
          error),
        h("div", { class: "dialog-actions" },
          h("button", { class: "button ghost", type: "button", onclick: () => dialog.close() }, "Cancel"), create));
      const dialog = h("dialog", { class: "dialog sb-dialog", "aria-labelledby": "sb-project-title" }, form);
      let result = null;
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const value = name.value.trim();
        if (!value) {
          name.focus();
          return;
        }
        create.disabled = true;
        try {
          const color = form.querySelector("input[name=sb-project-color]:checked")?.value || null;
          result = (await api.post("/api/projects/create", { name: value, color })).project;
          dialog.close();
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
          create.disabled = false;
        }
      });
      dialog.addEventListener("close", () => {
        dialog.remove();
        resolve(result);
      });
      document.body.append(dialog);
      dialog.showModal();
      name.focus();
    });
  }

  async function branch(id) {
    try {
      const { session } = await api.post("/api/session/branch", { session_id: id });
      emit("session-created", { session });
      selectSession(session.session_id);
      toast(`Branched into “${titleOf(session)}”`);
    } catch (err) {
      toastError(err);
    }
  }

  async function exportSession(id, format) {
    const s = known.get(id);
    try {
      const reply = await api.fetchRaw("/api/session/export", { session_id: id, format });
      const blob = await reply.blob();
      const slug = titleOf(s).replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "session";
      download(blob, filenameFrom(reply.headers.get("content-disposition")) || `${slug}-${id}.${format}`);
    } catch (err) {
      toastError(err);
    }
  }

  function deleteSession(id) {
    const s = known.get(id);
    if (!s || pendingDeletes.has(id)) return;
    const wasOpen = state.sessionId === id;
    const next = wasOpen ? neighbourOf(id) : null;
    const hidden = rowsFor(id);
    for (const li of hidden) li.hidden = true;
    syncGroups();
    renderEmpty();
    if (wasOpen) selectSession(next);
    const restore = () => {
      pendingDeletes.delete(id);
      for (const li of hidden) li.hidden = false;
      syncGroups();
      renderEmpty();
      if (wasOpen && state.sessionId === next) selectSession(id);
    };
    const commit = async () => {
      if (!pendingDeletes.has(id)) return;
      try {
        await api.post("/api/session/delete", { session_id: id });
        pendingDeletes.delete(id);
        removeRow(id);
        for (const li of hidden) li.remove();
        known.delete(id);
        syncGroups();
        renderEmpty();
        emit("session-removed", { id });
      } catch (err) {
        restore();
        toastError(err);
      }
    };
    pendingDeletes.set(id, { commit });
    toast(`Deleted “${titleOf(s)}”`, { action: "Undo", timeout: UNDO_MS, onAction: restore, onTimeout: commit });
  }

  // A delete waiting for its undo window still happens when the page goes away.
  window.addEventListener("pagehide", () => {
    for (const id of pendingDeletes.keys()) {
      fetch("/api/session/delete", { method: "POST", keepalive: true, headers: { "Content-Type": "application/json", ...api.csrfHeaders() },
        body: JSON.stringify({ session_id: id }) }).catch(() => {});
    }
    pendingDeletes.clear();
  });

  // ---- live updates from the bus ------------------------------------------------------------------------
  /** Merge a (possibly partial) session into what we know and redraw/move/drop its rows. */
  function apply(partial) {
    if (!partial || !partial.session_id) return;
    const id = partial.session_id;
    const prev = known.get(id);
    if (!prev && !("updated_at" in partial)) return;
    const s = { ...prev, ...partial };
    delete s.messages;
    known.set(id, s);
    for (const li of resultsList.children) if (li.dataset.id === id) fillRow(li, s);
    if (pendingDeletes.has(id)) return;
    const li = rows.get(id);
    if (!matchesView(s)) {
      if (li) {
        removeRow(id);
        syncGroups();
        renderEmpty();
      }
      return;
    }
    if (li) {
      fillRow(li, s);
      placeRow(li, s);
    } else if (adoptable(s)) {
      addRow(s);
    } else return;
    syncGroups();
    renderEmpty();
  }

  /** Whether a session not in the list belongs in the part of it that is loaded. */
  function adoptable(s) {
    if (!pager || pager.first) return false;
    if (pager.done) return true;
    if (s.pinned && !view.archived) return pager.phase > 0;
    return Number(s.updated_at || 0) >= pager.oldest || pager.oldest === Infinity;
  }

  on("session-created", ({ session }) => apply(session));
  on("session-updated", ({ session }) => apply(session));
  on("session-removed", ({ id }) => {
    if (!id || pendingDeletes.has(id)) return;
    removeRow(id);
    for (const li of [...resultsList.children]) if (li.dataset.id === id) li.remove();
    syncGroups();
    renderEmpty();
  });
  on("session-selected", ({ id }) => {
    for (const a of scroller.querySelectorAll('.sb-link[aria-current="page"]')) a.removeAttribute("aria-current");
    if (!id) return;
    for (const li of rowsFor(id)) {
      const link = li.querySelector(".sb-link");
      link.setAttribute("aria-current", "page");
      if (li === rows.get(id) && !view.query) link.scrollIntoView({ block: "nearest" });
    }
  });
  on("focus-search", () => {
    const app = document.getElementById("app");
    if (app && app.dataset.sidebar === "closed") emit("toggle-sidebar");
    requestAnimationFrame(() => {
      searchInput.focus();
      searchInput.select();
    });
  });

  // The dated groups shift at midnight.
  (function regroupAtMidnight() {
    const next = new Date();
    next.setHours(24, 0, 5, 0);
    setTimeout(() => {
      for (const [id, li] of rows) placeRow(li, known.get(id));
      syncGroups();
      regroupAtMidnight();
    }, next.getTime() - Date.now());
  })();

  // ---- first load ---------------------------------------------------------------------------------------
  pager = newPager();
  return Promise.all([loadProjects(), loadMore()]).then(() => undefined, (err) => toastError(err));
}
