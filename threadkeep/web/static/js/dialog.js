// Modal dialogs for the account and admin components: a bare modal, a form with an error line, a confirm
// (optionally "type the name to confirm") and labelled fields. Uses <dialog>: Esc, focus trap and the
// backdrop come from the browser. Knows nothing of the API; callers pass what runs on submit.

import { h } from "./dom.js";

let seq = 0;
const nextId = (prefix) => `${prefix}-${++seq}`;

/**
 * modal({title, intro, content, actions, className}) → {dialog, body, close(value), closed: Promise<value>}
 * The dialog is removed from the page when it closes; `closed` resolves with the value given to close().
 */
export function modal({ title, intro = null, content = [], actions = [], className = "" }) {
  const titleId = nextId("dlg-title");
  const body = h("div", { class: "dialog-body" }, h("h2", { id: titleId }, title), intro ? h("p", {}, intro) : null, content);
  const dialog = h("dialog", { class: `dialog ${className}`.trim(), "aria-labelledby": titleId }, body,
    actions.length ? h("div", { class: "dialog-actions" }, actions) : null);
  let value = null;
  const closed = new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(value);
    });
  });
  const close = (result = null) => {
    value = result;
    if (dialog.open) dialog.close();
  };
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, close, closed };
}

/** A labelled field: field("New password", input, "At least 8 characters") → a wrapper element. */
export function field(label, control, hint = null) {
  const id = control.id || nextId("fld");
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" },
    h("label", { class: "field-label", for: id }, label), control,
    hint ? h("p", { class: "field-hint", id: hintId }, hint) : null);
}

/** An error line (role=alert) with show(message) / hide(). */
export function errorLine() {
  const el = h("p", { class: "dialog-error", role: "alert", hidden: true });
  el.show = (message) => {
    el.textContent = message;
    el.hidden = false;
  };
  el.hide = () => {
    el.hidden = true;
    el.textContent = "";
  };
  return el;
}

/**
 * formDialog({title, intro, fields, submitLabel, danger, onSubmit}) → Promise<result | null>
 * onSubmit(form) runs on submit: what it returns closes the dialog with that value; what it throws is shown
 * in the error line and the dialog stays open. Cancel / Esc resolve null.
 */
export function formDialog({ title, intro = null, fields = [], submitLabel = "Save", danger = false, onSubmit, className = "" }) {
  const error = errorLine();
  const submit = h("button", { class: `button ${danger ? "danger" : "primary"}`, type: "submit" }, submitLabel);
  const cancel = h("button", { class: "button ghost", type: "button" }, "Cancel");
  const form = h("form", { class: "dialog-form", novalidate: true }, fields, error);
  const m = modal({ title, intro, content: form, actions: [cancel, submit], className });
  // The actions sit outside the <form> (in the dialog's footer): tie the submit button to it.
  form.id = nextId("dlg-form");
  submit.setAttribute("form", form.id);
  cancel.addEventListener("click", () => m.close(null));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const invalid = form.querySelector(":invalid");
    if (invalid) {
      error.show(invalid.validationMessage || "Please fill in this field.");
      invalid.focus();
      return;
    }
    error.hide();
    submit.disabled = true;
    try {
      const result = await onSubmit(form);
      m.close(result === undefined ? true : result);
    } catch (err) {
      error.show(err?.message || String(err));
      submit.disabled = false;
    }
  });
  form.querySelector("input:not([hidden]), select, textarea")?.focus();
  return m.closed;
}

/**
 * confirmDialog({title, text, confirmLabel, danger, typeToConfirm}) → Promise<boolean>
 * With typeToConfirm the button stays disabled until that exact text is typed.
 */
export function confirmDialog({ title, text, confirmLabel = "OK", danger = false, typeToConfirm = null }) {
  const ok = h("button", { class: `button ${danger ? "danger" : "primary"}`, type: "button", disabled: !!typeToConfirm }, confirmLabel);
  const cancel = h("button", { class: "button ghost", type: "button" }, "Cancel");
  let content = [];
  if (typeToConfirm) {
    const input = h("input", { class: "input", type: "text", autocomplete: "off", spellcheck: "false", autocapitalize: "off" });
    input.addEventListener("input", () => {
      ok.disabled = input.value.trim() !== typeToConfirm;
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !ok.disabled) ok.click();
    });
    content = [field(`Type “${typeToConfirm}” to confirm`, input)];
  }
  const m = modal({ title, intro: text, content, actions: [cancel, ok], className: "dialog-confirm" });
  cancel.addEventListener("click", () => m.close(false));
  ok.addEventListener("click", () => m.close(true));
  (m.body.querySelector("input") || cancel).focus();
  return m.closed.then(Boolean);
}
