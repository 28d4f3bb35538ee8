// The editor's question when a save finds the file changed on disk since it was opened (the server's 412):
// reload the file as it is now (the edits are dropped), overwrite it with the edits, or go back to editing.

import { modal } from "./dialog.js";
import { h } from "./dom.js";

/** askSaveConflict(name) → Promise<"reload" | "overwrite" | null (keep editing)>. */
export function askSaveConflict(name) {
  const keep = h("button", { class: "button ghost", type: "button" }, "Keep editing");
  const reload = h("button", { class: "button", type: "button" }, "Reload from disk");
  const overwrite = h("button", { class: "button danger", type: "button" }, "Overwrite");
  const m = modal({
    title: `“${name}” changed on disk`,
    intro: "It was saved elsewhere (another tab, another person or the agent) since you opened it. Reload it "
      + "and lose your edits, or overwrite that version with yours?",
    actions: [keep, reload, overwrite],
    className: "ws-dialog",
  });
  keep.addEventListener("click", () => m.close(null));
  reload.addEventListener("click", () => m.close("reload"));
  overwrite.addEventListener("click", () => m.close("overwrite"));
  keep.focus();
  return m.closed;
}
