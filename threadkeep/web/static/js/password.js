// The "Change password" dialog: current password, the new one twice. The server ends the user's other
// logins; this one stays.

import * as api from "./api.js";
import { field, formDialog } from "./dialog.js";
import { h } from "./dom.js";
import { toast } from "./toast.js";

const MIN_LENGTH = 8;

function passwordInput(autocomplete, name) {
  return h("input", { class: "input", type: "password", name, autocomplete, required: true, maxlength: "1024" });
}

export async function changePasswordDialog(me) {
  const current = passwordInput("current-password", "current_password");
  const fresh = passwordInput("new-password", "new_password");
  fresh.minLength = MIN_LENGTH;
  const again = passwordInput("new-password", "new_password_again");
  // A hidden username lets password managers file the new password under the right account.
  const username = h("input", { type: "text", name: "username", autocomplete: "username", value: me.user.username,
    hidden: true, readonly: true, tabindex: "-1", "aria-hidden": "true" });
  const done = await formDialog({
    title: "Change password",
    intro: "Your other logins (other browsers and devices) will be logged out. API tokens keep working.",
    className: "account-dialog",
    fields: [username, field("Current password", current), field("New password", fresh, `At least ${MIN_LENGTH} characters.`),
      field("New password again", again)],
    submitLabel: "Change password",
    onSubmit: async () => {
      if (fresh.value !== again.value) {
        again.focus();
        throw new Error("The two new passwords are not the same.");
      }
      await api.post("/api/auth/password", { current_password: current.value, new_password: fresh.value });
      return true;
    },
  });
  if (done) toast("Password changed. Your other logins were logged out.");
}
