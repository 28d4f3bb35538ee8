// The account button at the foot of the sidebar and its menu: who is logged in, Change password, API
// tokens, Admin (admins), Log out, Log out everywhere. In `--auth none` there is no login to manage: the
// menu says so instead. The dialogs and the admin view are their own modules; this one only opens them.

import * as api from "./api.js";
import { emit } from "./bus.js";
import { h, icon, moveMenuFocus } from "./dom.js";
import { changePasswordDialog } from "./password.js";
import { toastError } from "./toast.js";
import { tokensDialog } from "./tokens.js";

const MODES = { none: "Single-user mode (no login)", password: "Password login", users: "" };

function initial(name) {
  return (name || "?").trim().charAt(0).toUpperCase() || "?";
}

async function logOut(everywhere) {
  try {
    await api.post(everywhere ? "/api/auth/logout_all" : "/api/auth/logout");
  } catch (err) {
    toastError(err);
    return;
  }
  location.assign("/login");
}

/** What the menu offers this user: [{label, icon, run, danger}] and separators (null). */
function menuEntries(me) {
  if (me.mode === "none") return [];
  const admin = me.user.role === "admin";
  return [
    { label: "Change password", icon: "lock", run: () => changePasswordDialog(me) },
    { label: "API tokens", icon: "key", run: () => tokensDialog(me) },
    admin ? { label: "Admin", icon: "shield", run: () => emit("open-admin") } : undefined,
    null,
    { label: "Log out", icon: "logout", run: () => logOut(false) },
    { label: "Log out everywhere", icon: "logout", run: () => logOut(true), danger: true },
  ].filter((entry) => entry !== undefined);
}

export function initAccount(root, me) {
  const name = me.user.username;
  const sub = me.mode === "none" ? "No login" : me.user.role === "admin" ? "Admin" : MODES[me.mode] || "";
  const button = h("button", { class: "acct-button", type: "button", "aria-haspopup": "menu", "aria-expanded": "false",
    "aria-label": `Account: ${name}`, title: "Account" },
  h("span", { class: "acct-avatar", "aria-hidden": "true" }, initial(name)),
  h("span", { class: "acct-names" }, h("span", { class: "acct-name" }, name), sub ? h("span", { class: "acct-sub" }, sub) : null),
  h("span", { class: "acct-chevron", "aria-hidden": "true" }, icon("more", { size: 16 })));
  root.replaceChildren(button);
  let menu = null;

  function close({ focus = true } = {}) {
    if (!menu) return;
    menu.remove();
    menu = null;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", outside, true);
    if (focus) button.focus();
  }

  function outside(event) {
    if (menu && !menu.contains(event.target) && !button.contains(event.target)) close({ focus: false });
  }

  function item(entry) {
    return h("button", { class: `menu-item${entry.danger ? " danger" : ""}`, type: "button", role: "menuitem", tabindex: "-1",
      onclick: () => {
        close({ focus: false });
        Promise.resolve(entry.run()).catch(toastError);
      } },
    icon(entry.icon, { size: 16 }), h("span", {}, entry.label));
  }

  function open() {
    const entries = menuEntries(me);
    const head = h("div", { class: "acct-menu-head" },
      h("span", { class: "acct-avatar", "aria-hidden": "true" }, initial(name)),
      h("span", { class: "acct-names" }, h("span", { class: "acct-name" }, name),
        h("span", { class: "acct-sub" }, me.mode === "none" ? MODES.none : `${me.user.role === "admin" ? "Admin" : "User"} · ${me.mode === "password" ? "password login" : "signed in"}`)));
    const items = entries.map((entry) => (entry ? item(entry) : h("div", { class: "menu-sep", role: "separator" })));
    const note = me.mode === "none"
      ? h("p", { class: "acct-note" }, "Anyone who can reach this server is you. Start it with --auth users for accounts and logins.")
      : null;
    menu = h("div", { class: "menu acct-menu", role: "menu", "aria-label": `Account ${name}` }, head,
      items.length ? h("div", { class: "menu-sep", role: "separator" }) : null, items, note);
    document.body.append(menu);
    place();
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("pointerdown", outside, true);
    menu.addEventListener("keydown", keys);
    (menu.querySelector(".menu-item") || menu).focus();
    if (!menu.querySelector(".menu-item")) menu.tabIndex = -1;
  }

  /** Above the button (it sits at the foot of the sidebar), kept on screen. */
  function place() {
    const r = button.getBoundingClientRect();
    const width = Math.min(Math.max(r.width, 240), window.innerWidth - 16);
    menu.style.width = `${width}px`;
    menu.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - width - 8))}px`;
    menu.style.bottom = `${Math.max(8, window.innerHeight - r.top + 6)}px`;
  }

  function keys(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (moveMenuFocus(event, menu)) {
      // moved
    } else if (event.key === "Tab") {
      close({ focus: false });
    }
  }

  button.addEventListener("click", () => (menu ? close() : open()));
  window.addEventListener("resize", () => close({ focus: false }));
}
