// The admin view: a full-screen page over the app at /admin, with the Users and Audit log sections (their own
// modules). Opened from the account menu (the bus's open-admin) or by loading /admin; "Back to chats" returns
// to the chat that was open. Admins only: the server refuses everyone else anyway.

import { initAudit } from "./admin_audit.js";
import { initUsers } from "./admin_users.js";
import { on } from "./bus.js";
import { h, icon } from "./dom.js";
import { toast } from "./toast.js";

const PATH = "/admin";

export function initAdmin(me) {
  const app = document.getElementById("app");
  const isAdmin = me.user.role === "admin";
  const withUsers = me.mode === "users";
  let view = null;
  let titleBefore = document.title;

  function build() {
    const tabs = withUsers ? [["users", "Users", "users"], ["audit", "Audit log", "list"]] : [["audit", "Audit log", "list"]];
    const panels = new Map();
    const tabButtons = tabs.map(([key, label, iconName]) => h("button", {
      class: "adm-tab", type: "button", role: "tab", id: `adm-tab-${key}`, "aria-controls": `adm-panel-${key}`,
      "aria-selected": "false", tabindex: "-1", onclick: () => select(key) }, icon(iconName, { size: 16 }), label));
    for (const [key] of tabs) {
      panels.set(key, h("section", { class: "adm-panel", id: `adm-panel-${key}`, role: "tabpanel", "aria-labelledby": `adm-tab-${key}`, hidden: true }));
    }
    const tablist = h("div", { class: "adm-tabs", role: "tablist", "aria-label": "Admin sections" }, tabButtons);
    tablist.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      const at = tabButtons.indexOf(document.activeElement);
      const next = tabButtons[(at + (event.key === "ArrowRight" ? 1 : -1) + tabButtons.length) % tabButtons.length];
      next.focus();
      next.click();
    });
    const root = h("div", { class: "adm", id: "admin", role: "region", "aria-label": "Admin" },
      h("header", { class: "adm-header" },
        h("button", { class: "button ghost adm-back", type: "button", onclick: () => close() }, icon("back", { size: 16 }), "Back to chats"),
        h("h1", { class: "adm-title" }, icon("shield", { size: 20 }), "Admin"),
        h("span", { class: "adm-who" }, `Signed in as ${me.user.username}`)),
      h("div", { class: "adm-inner" }, tablist, [...panels.values()]));
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.defaultPrevented && !document.querySelector("dialog[open]")) {
        event.preventDefault();
        close();
      }
    });
    const loaded = new Set();
    function select(key) {
      for (const button of tabButtons) {
        const on = button.id === `adm-tab-${key}`;
        button.setAttribute("aria-selected", String(on));
        button.tabIndex = on ? 0 : -1;
      }
      for (const [k, panel] of panels) panel.hidden = k !== key;
      if (!loaded.has(key)) {
        loaded.add(key);
        if (key === "users") initUsers(panels.get(key), me);
        else initAudit(panels.get(key));
      }
    }
    select(tabs[0][0]);
    return root;
  }

  function show() {
    if (!isAdmin) {
      toast("Only an admin can open the admin view.", { kind: "error" });
      leave();
      return;
    }
    if (view) return;
    view = build();
    document.body.append(view);
    app.inert = true;
    titleBefore = document.title;
    document.title = "Admin · threadkeep";
    view.querySelector(".adm-tab[aria-selected='true']")?.focus();
  }

  function hide() {
    if (!view) return;
    view.remove();
    view = null;
    app.inert = false;
    document.title = titleBefore;
  }

  /** Back to "/" with the chat's hash, without a history entry of its own. */
  function leave() {
    history.replaceState(null, "", `/${location.hash}`);
  }

  function open() {
    if (location.pathname !== PATH) history.pushState({ admin: true }, "", `${PATH}${location.hash}`);
    show();
  }

  function close() {
    hide();
    if (history.state && history.state.admin) history.back();
    else leave();
  }

  on("open-admin", open);
  window.addEventListener("popstate", () => (location.pathname === PATH ? show() : hide()));
  if (location.pathname === PATH) show();
}
