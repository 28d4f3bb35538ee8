// Toasts: short messages at the bottom, optionally with one action (Undo) before they time out.

import { h, icon } from "./dom.js";

/**
 * toast("Deleted “x”", {action: "Undo", onAction: fn, onTimeout: fn, timeout: 6000, kind: "info"|"error"})
 * onTimeout runs when the toast goes away without its action being used (e.g. really delete).
 */
export function toast(message, { action = null, onAction = null, onTimeout = null, timeout = 5000, kind = "info" } = {}) {
  const root = document.getElementById("toasts");
  let done = false;
  const close = (acted) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    el.classList.add("leaving");
    setTimeout(() => el.remove(), 180);
    if (!acted && onTimeout) onTimeout();
  };
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    icon(kind === "error" ? "alert" : "info", { size: 16 }),
    h("span", { class: "toast-text" }, message),
    action && h("button", { class: "toast-action", type: "button", onclick: () => { close(true); onAction && onAction(); } }, action),
    h("button", { class: "toast-close icon-button", type: "button", "aria-label": "Dismiss", onclick: () => close(false) }, icon("x", { size: 14 })),
  );
  root.append(el);
  const timer = setTimeout(() => close(false), timeout);
  return { close: () => close(false) };
}

export const toastError = (err) => toast(err?.message || String(err), { kind: "error", timeout: 8000 });
