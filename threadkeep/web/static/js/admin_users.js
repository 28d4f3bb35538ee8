// The admin view's Users section: add a user, and per user change the role, disable or enable, reset the
// password, log out everywhere, remove (with their chats: confirmed by typing the name). Admins manage
// accounts only; nothing here reads anyone's chats.

import * as api from "./api.js";
import { confirmDialog, errorLine, field, formDialog } from "./dialog.js";
import { formatTime, h, icon } from "./dom.js";
import { toast, toastError } from "./toast.js";

const MIN_PASSWORD = 8;

function addForm(onAdded) {
  const username = h("input", { class: "input", type: "text", name: "username", required: true, maxlength: "64",
    autocomplete: "off", autocapitalize: "off", spellcheck: "false", placeholder: "e.g. alice" });
  const password = h("input", { class: "input", type: "password", name: "password", required: true, minlength: String(MIN_PASSWORD),
    maxlength: "1024", autocomplete: "new-password" });
  const role = h("select", { class: "select", name: "role" }, h("option", { value: "user" }, "User"), h("option", { value: "admin" }, "Admin"));
  const email = h("input", { class: "input", type: "email", name: "email", maxlength: "320", autocomplete: "off", placeholder: "optional" });
  const submit = h("button", { class: "button primary", type: "submit" }, icon("plus", { size: 15 }), "Add user");
  const error = errorLine();
  const form = h("form", { class: "adm-add", novalidate: true, "aria-label": "Add a user" },
    h("h2", { class: "adm-h2" }, "Add a user"),
    h("div", { class: "adm-add-grid" },
      field("Username", username), field("Password", password, `At least ${MIN_PASSWORD} characters; they can change it later.`),
      field("Role", role), field("Email", email)),
    h("div", { class: "adm-add-actions" }, submit), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hide();
    const invalid = form.querySelector(":invalid");
    if (invalid) {
      error.show(invalid === password ? `The password needs at least ${MIN_PASSWORD} characters.` : invalid.validationMessage);
      invalid.focus();
      return;
    }
    submit.disabled = true;
    try {
      const body = { username: username.value.trim(), password: password.value, role: role.value };
      if (email.value.trim()) body.email = email.value.trim();
      const { user } = await api.post("/api/admin/users/create", body);
      form.reset();
      onAdded(user);
      toast(`Added ${user.username}`);
      username.focus();
    } catch (err) {
      error.show(err.message);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function resetPassword(user) {
  const password = h("input", { class: "input", type: "password", required: true, minlength: String(MIN_PASSWORD),
    maxlength: "1024", autocomplete: "new-password" });
  return formDialog({
    title: `Reset ${user.username}’s password`,
    intro: "They are logged out everywhere and any login lockout is lifted. Tell them the new password.",
    fields: [field("New password", password, `At least ${MIN_PASSWORD} characters.`)],
    submitLabel: "Set password",
    onSubmit: async () => {
      if (password.value.length < MIN_PASSWORD) throw new Error(`The password needs at least ${MIN_PASSWORD} characters.`);
      return (await api.post("/api/admin/users/password", { user_id: user.id, password: password.value })).user;
    },
  });
}

export function initUsers(root, me) {
  let users = [];
  const body = h("tbody", {});
  const status = h("p", { class: "adm-status", role: "status" }, "Loading users…");
  const table = h("table", { class: "adm-table adm-users" },
    h("thead", {}, h("tr", {}, ["User", "Role", "Status", "Last login", "Actions"].map((t) => h("th", { scope: "col" }, t)))), body);
  root.replaceChildren(addForm((user) => {
    users = [...users, user];
    render();
  }), h("h2", { class: "adm-h2" }, "Users"), status, h("div", { class: "adm-table-wrap" }, table));

  function replace(user) {
    users = users.map((u) => (u.id === user.id ? user : u));
    render();
  }

  async function update(user, change) {
    try {
      replace((await api.post("/api/admin/users/update", { user_id: user.id, ...change })).user);
      return true;
    } catch (err) {
      toastError(err);
      render();
      return false;
    }
  }

  async function act(user, what) {
    if (what === "toggle") {
      if (await update(user, { disabled: !user.disabled })) {
        toast(user.disabled ? `Enabled ${user.username}` : `Disabled ${user.username}: they are logged out`);
      }
    } else if (what === "password") {
      const updated = await resetPassword(user);
      if (updated) {
        replace(updated);
        toast(`Password of ${user.username} changed`);
      }
    } else if (what === "logout") {
      try {
        const { closed } = await api.post("/api/admin/users/logout", { user_id: user.id });
        toast(`Logged ${user.username} out (${closed} ${closed === 1 ? "login" : "logins"} ended)`);
      } catch (err) {
        toastError(err);
      }
    } else if (what === "remove") {
      const sure = await confirmDialog({ title: `Remove ${user.username}?`, danger: true, confirmLabel: "Remove user",
        typeToConfirm: user.username,
        text: `This deletes ${user.username} and everything they own: all their chats, projects and API tokens. It cannot be undone.` });
      if (!sure) return;
      try {
        await api.post("/api/admin/users/delete", { user_id: user.id });
        users = users.filter((u) => u.id !== user.id);
        render();
        toast(`Removed ${user.username}`);
      } catch (err) {
        toastError(err);
      }
    }
  }

  function row(user) {
    const self = user.id === me.user.id;
    const role = h("select", { class: "select small", "aria-label": `Role of ${user.username}`, disabled: self,
      title: self ? "You cannot change your own role" : null },
    h("option", { value: "user", selected: user.role === "user" }, "User"),
    h("option", { value: "admin", selected: user.role === "admin" }, "Admin"));
    role.addEventListener("change", () => update(user, { role: role.value }));
    const button = (label, what, opts = {}) => h("button", { class: `button small${opts.danger ? " danger" : ""}`, type: "button",
      "aria-label": `${label} ${user.username}`, disabled: opts.disabled || false, title: opts.title || null,
      onclick: () => act(user, what) }, label);
    const youTitle = "This is you";
    const who = [user.display_name, user.email].filter(Boolean).join(" · ");
    return h("tr", { dataset: { id: user.id, username: user.username }, class: user.disabled ? "is-disabled" : null },
      h("td", { class: "adm-user-cell", "data-label": "User" }, h("div", { class: "adm-user" },
        h("span", { class: "adm-avatar", "aria-hidden": "true" }, user.username.charAt(0).toUpperCase()),
        h("span", { class: "adm-user-names" },
          h("span", { class: "adm-username" }, user.username, self ? h("span", { class: "badge" }, "you") : null),
          who ? h("span", { class: "adm-user-sub" }, who) : null,
          user.source && user.source !== "local" ? h("span", { class: "adm-user-sub" }, `via ${user.source}`) : null))),
      h("td", { "data-label": "Role" }, role),
      h("td", { "data-label": "Status" }, h("span", { class: `badge badge-${user.disabled ? "revoked" : "active"}` }, user.disabled ? "Disabled" : "Active")),
      h("td", { "data-label": "Last login", class: "adm-time" }, user.last_login_at ? formatTime(user.last_login_at) : "never"),
      h("td", { class: "adm-actions-cell", "data-label": "Actions" }, h("div", { class: "adm-actions" },
        button(user.disabled ? "Enable" : "Disable", "toggle", { disabled: self, title: self ? youTitle : null }),
        button("Reset password", "password"),
        button("Log out", "logout"),
        button("Remove", "remove", { danger: true, disabled: self, title: self ? youTitle : null }))));
  }

  function render() {
    users.sort((a, b) => a.username.localeCompare(b.username));
    body.replaceChildren(...users.map(row));
    status.textContent = `${users.length} ${users.length === 1 ? "user" : "users"}`;
  }

  api.get("/api/admin/users").then((data) => {
    users = data.users || [];
    render();
  }).catch((err) => {
    status.textContent = err.message;
    status.classList.add("is-error");
  });
}
