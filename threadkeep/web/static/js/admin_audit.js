// The admin view's Audit log section: who did what, when and from where, newest first; filter by event;
// "Load older" pages back with the server's next_before cursor.

import * as api from "./api.js";
import { formatTime, h, icon } from "./dom.js";

const PAGE = 50;
const EVENTS = [
  ["", "All events"],
  ["login_ok", "Logged in"], ["login_failed", "Failed login"], ["login_locked", "Login locked"], ["login_blocked", "Login blocked"],
  ["logout", "Logged out"], ["logout_all", "Logged out everywhere"],
  ["password_changed", "Password changed"], ["password_change_failed", "Password change failed"], ["password_reset", "Password reset"],
  ["token_created", "Token created"], ["token_revoked", "Token revoked"], ["token_used", "Token used"],
  ["user_added", "User added"], ["user_changed", "User changed"], ["user_disabled", "User disabled"], ["user_enabled", "User enabled"],
  ["user_logged_out", "User logged out"], ["user_removed", "User removed"],
];
const LABELS = new Map(EVENTS);
const WARN = new Set(["login_failed", "login_locked", "login_blocked", "password_change_failed", "user_removed", "user_disabled"]);

function details(detail) {
  if (!detail || typeof detail !== "object") return "";
  return Object.entries(detail).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
}

function row(e) {
  return h("tr", { class: WARN.has(e.event) ? "is-warn" : null },
    h("td", { class: "adm-time", "data-label": "When" }, formatTime(e.at)),
    h("td", { "data-label": "Event" }, h("span", { class: `adm-event${WARN.has(e.event) ? " is-warn" : ""}`, title: e.event }, LABELS.get(e.event) || e.event)),
    h("td", { "data-label": "By" }, e.actor || "—"),
    h("td", { "data-label": "Target" }, e.target || "—"),
    h("td", { class: "adm-ip", "data-label": "Address" }, e.ip || "—"),
    h("td", { class: "adm-detail", "data-label": "Detail" }, details(e.detail) || "—"));
}

export function initAudit(root) {
  const filter = h("select", { class: "select small adm-filter", "aria-label": "Show events" },
    EVENTS.map(([value, label]) => h("option", { value }, label)));
  const refresh = h("button", { class: "button small", type: "button" }, icon("refresh", { size: 14 }), "Refresh");
  const body = h("tbody", {});
  const status = h("p", { class: "adm-status", role: "status" }, "Loading…");
  const more = h("button", { class: "button adm-more", type: "button", hidden: true }, "Load older");
  const table = h("table", { class: "adm-table adm-audit" },
    h("thead", {}, h("tr", {}, ["When", "Event", "By", "Target", "Address", "Detail"].map((t) => h("th", { scope: "col" }, t)))), body);
  root.replaceChildren(
    h("div", { class: "adm-audit-head" }, h("h2", { class: "adm-h2" }, "Audit log"), h("span", { class: "adm-space" }), filter, refresh),
    status, h("div", { class: "adm-table-wrap" }, table), more);

  let before = null;
  let seq = 0;

  async function load({ reset }) {
    const mine = ++seq;
    if (reset) before = null;
    more.disabled = true;
    try {
      const data = await api.get("/api/admin/audit", { limit: PAGE, before: reset ? undefined : before, event: filter.value || undefined });
      if (mine !== seq) return;
      const rows = (data.events || []).map(row);
      if (reset) body.replaceChildren(...rows);
      else body.append(...rows);
      before = data.next_before;
      more.hidden = !before;
      const n = body.children.length;
      status.textContent = n ? `${n} ${n === 1 ? "event" : "events"}${before ? " (newest first; more below)" : ""}` : "No events.";
      status.classList.remove("is-error");
    } catch (err) {
      if (mine !== seq) return;
      status.textContent = err.message;
      status.classList.add("is-error");
    } finally {
      more.disabled = false;
    }
  }

  filter.addEventListener("change", () => load({ reset: true }));
  refresh.addEventListener("click", () => load({ reset: true }));
  more.addEventListener("click", () => load({ reset: false }));
  load({ reset: true });
}
