// The "API tokens" dialog: my tokens (name, prefix, scope, dates, state), a form to create one (name, scope,
// expiry) whose secret is shown once with a copy button, and revoke with a confirm.

import * as api from "./api.js";
import { confirmDialog, errorLine, field, modal } from "./dialog.js";
import { copyText, formatTime, h, icon } from "./dom.js";
import { toast, toastError } from "./toast.js";

const DAY = 86_400;
const EXPIRY = [["", "Never"], [String(30 * DAY), "30 days"], [String(90 * DAY), "90 days"], [String(365 * DAY), "365 days"]];
const SCOPES = [["read", "Read only"], ["write", "Read and write"], ["admin", "Admin"]];
const SCOPE_HINT = "Read only: list and export chats. Read and write: also chat, edit files. Admin: also manage users.";

function stateOf(token) {
  if (token.revoked) return ["revoked", "Revoked"];
  if (token.expires_at && token.expires_at * 1000 < Date.now()) return ["expired", "Expired"];
  return ["active", "Active"];
}

function tokenRow(token, onRevoke) {
  const [kind, label] = stateOf(token);
  const dates = [`Created ${formatTime(token.created_at)}`,
    token.expires_at ? `expires ${formatTime(token.expires_at)}` : "never expires",
    token.last_used_at ? `last used ${formatTime(token.last_used_at)}` : "never used"];
  return h("li", { class: `tok-row is-${kind}`, dataset: { id: token.id } },
    h("div", { class: "tok-main" },
      h("span", { class: "tok-name" }, token.name),
      h("span", { class: "tok-badges" },
        h("code", { class: "tok-prefix", title: "The token's first characters" }, `${token.prefix}…`),
        h("span", { class: `badge badge-${token.scope}` }, token.scope),
        kind === "active" ? null : h("span", { class: `badge badge-${kind}` }, label)),
      h("span", { class: "tok-dates" }, dates.join(" · "))),
    kind === "active"
      ? h("button", { class: "button small danger", type: "button", "aria-label": `Revoke ${token.name}`, onclick: () => onRevoke(token) }, "Revoke")
      : null);
}

/** The secret of a token just made: shown this once, with a copy button. */
function revealBox(secret) {
  const code = h("code", { class: "tok-secret", tabindex: "0" }, secret);
  const copy = h("button", { class: "button small", type: "button" }, icon("copy", { size: 14 }), "Copy");
  copy.addEventListener("click", async () => {
    const ok = await copyText(secret);
    copy.replaceChildren(icon(ok ? "check" : "x", { size: 14 }), ok ? "Copied" : "Copy failed");
  });
  return h("div", { class: "tok-reveal", role: "status" },
    h("p", { class: "tok-reveal-title" }, icon("key", { size: 16 }), "Your new token. Copy it now: it will not be shown again."),
    h("div", { class: "tok-reveal-row" }, code, copy),
    h("p", { class: "tok-reveal-hint" }, "Send it as ", h("code", {}, "Authorization: Bearer tk_…"), "."));
}

export function tokensDialog(me) {
  const name = h("input", { class: "input", type: "text", name: "name", required: true, maxlength: "100", autocomplete: "off",
    placeholder: "e.g. backup script" });
  const scope = h("select", { class: "select", name: "scope" },
    SCOPES.filter(([value]) => value !== "admin" || me.user.role === "admin")
      .map(([value, label]) => h("option", { value, selected: value === "read" }, label)));
  const expires = h("select", { class: "select", name: "expires_in" },
    EXPIRY.map(([value, label]) => h("option", { value, selected: value === String(90 * DAY) }, label)));
  const create = h("button", { class: "button primary", type: "submit" }, icon("plus", { size: 15 }), "Create token");
  const error = errorLine();
  const reveal = h("div", { class: "tok-reveal-slot" });
  const form = h("form", { class: "tok-form", novalidate: true },
    field("Name", name),
    h("div", { class: "tok-form-row" }, field("Access", scope), field("Expires", expires)),
    h("p", { class: "field-hint tok-scope-hint" }, SCOPE_HINT),
    h("div", { class: "tok-form-actions" }, create), error);
  const list = h("ul", { class: "tok-list", role: "list", "aria-label": "Your API tokens" });
  const empty = h("p", { class: "tok-empty", hidden: true }, "No tokens yet.");
  const close = h("button", { class: "button", type: "button" }, "Done");
  const m = modal({
    title: "API tokens",
    intro: "Tokens let scripts use the HTTP API as you. Each one is shown once, when it is made.",
    content: [form, reveal, h("h3", { class: "tok-heading" }, "Your tokens"), empty, list],
    actions: [close],
    className: "account-dialog tokens-dialog",
  });
  close.addEventListener("click", () => m.close());

  let tokens = [];
  function render() {
    // Newest first; revoked and expired ones after the active ones.
    const order = (t) => (stateOf(t)[0] === "active" ? 0 : 1);
    const sorted = [...tokens].sort((a, b) => order(a) - order(b) || b.created_at - a.created_at);
    list.replaceChildren(...sorted.map((t) => tokenRow(t, revoke)));
    empty.hidden = tokens.length > 0;
  }

  async function load() {
    try {
      tokens = (await api.get("/api/auth/tokens")).tokens || [];
      render();
    } catch (err) {
      error.show(err.message);
    }
  }

  async function revoke(token) {
    const sure = await confirmDialog({ title: `Revoke “${token.name}”?`, danger: true, confirmLabel: "Revoke",
      text: "Scripts using this token will get 401 from their next request. This cannot be undone." });
    if (!sure) return;
    try {
      const { token: info } = await api.post("/api/auth/tokens/revoke", { id: token.id });
      tokens = tokens.map((t) => (t.id === info.id ? info : t));
      render();
      toast(`Revoked “${token.name}”`);
    } catch (err) {
      toastError(err);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hide();
    if (!name.value.trim()) {
      error.show("Give the token a name (what will use it?).");
      name.focus();
      return;
    }
    create.disabled = true;
    try {
      const body = { name: name.value.trim(), scope: scope.value };
      if (expires.value) body.expires_in = Number(expires.value);
      const { token: secret, ...info } = await api.post("/api/auth/tokens", body);
      tokens = [info, ...tokens];
      render();
      reveal.replaceChildren(revealBox(secret));
      reveal.querySelector(".tok-reveal button")?.focus();
      name.value = "";
    } catch (err) {
      error.show(err.message);
    } finally {
      create.disabled = false;
    }
  });

  name.focus();
  load();
  return m.closed;
}
