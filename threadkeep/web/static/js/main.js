// Boot: who is logged in (and the CSRF token), theme, shortcuts, the three panels, the account menu and the
// admin view, then open the session named in the URL.

import { initAccount } from "./account.js";
import { initAdmin } from "./admin.js";
import { startSession } from "./api.js";
import { emit, on } from "./bus.js";
import { initChat } from "./chat.js";
import { installShortcuts } from "./shortcuts.js";
import { initSidebar } from "./sidebar.js";
import { loadModels, newChat, selectSession, sessionFromHash, state } from "./state.js";
import "./theme.js";
import { toastError } from "./toast.js";
import { initWorkspace } from "./workspace.js";

const app = document.getElementById("app");
const scrim = document.getElementById("scrim");
const phone = window.matchMedia("(max-width: 760px)");

function setPanel(name, open) {
  app.dataset[name] = open ? "open" : "closed";
  const drawerOpen = phone.matches && (app.dataset.sidebar === "open" || app.dataset.workspace === "open");
  scrim.hidden = !drawerOpen;
  localStorage.setItem(`threadkeep.${name}`, app.dataset[name]);
}

function layoutFor(media) {
  // On a phone both side panels start closed (drawers); on a desktop they are remembered.
  if (media.matches) {
    app.dataset.sidebar = "closed";
    app.dataset.workspace = "closed";
    scrim.hidden = true;
  } else {
    app.dataset.sidebar = localStorage.getItem("threadkeep.sidebar") || "open";
    app.dataset.workspace = localStorage.getItem("threadkeep.workspace") || "closed";
    scrim.hidden = true;
  }
}

async function boot() {
  layoutFor(phone);
  phone.addEventListener("change", layoutFor);
  installShortcuts();
  on("toggle-sidebar", () => setPanel("sidebar", app.dataset.sidebar !== "open"));
  on("toggle-workspace", () => setPanel("workspace", app.dataset.workspace !== "open"));
  on("escape", () => {
    if (phone.matches && (app.dataset.sidebar === "open" || app.dataset.workspace === "open")) {
      setPanel("sidebar", false);
      setPanel("workspace", false);
    } else emit("stop");
  });
  on("session-selected", () => {
    if (phone.matches) setPanel("sidebar", false);
  });
  on("open-admin", () => {
    if (phone.matches) setPanel("sidebar", false);
  });
  on("new-chat", () => newChat().catch(toastError));
  scrim.addEventListener("click", () => {
    setPanel("sidebar", false);
    setPanel("workspace", false);
  });

  const me = await startSession(); // before anything posts: it carries the CSRF token
  await loadModels();
  initChat(document.getElementById("chat"));
  initWorkspace(document.getElementById("workspace"));
  const listed = initSidebar(document.getElementById("sidebar"));
  initAccount(document.getElementById("sb-account"), me);
  initAdmin(me);
  const id = sessionFromHash();
  if (id) {
    state.sessionId = id;
    emit("session-selected", { id });
  } else {
    selectSession(null, { replace: true });
  }
  await listed;
  document.documentElement.dataset.ready = "true";
  performance.mark("threadkeep-ready"); // time to interactive, read by bench/bench_ui.py
}

boot().catch((err) => {
  console.error(err);
  toastError(err);
});
