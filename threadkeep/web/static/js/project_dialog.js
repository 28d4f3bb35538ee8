// The project dialog: rename and recolour a project, or delete it (its chats stay, out of any project).
// Opened from the sidebar's project chips; talks to POST /api/projects/rename | delete and says what changed.

import * as api from "./api.js";
import { confirmDialog, errorLine, field, modal } from "./dialog.js";
import { h, icon } from "./dom.js";

/**
 * editProject(project, palette) → Promise<{project} (saved) | {deleted: project_id} | null (cancelled)>.
 * `palette` is the colours offered; the project's own colour is offered too when it is not one of them.
 */
export async function editProject(project, palette) {
  const name = h("input", { class: "input", type: "text", maxlength: "200", required: true, autocomplete: "off" });
  name.value = project.name;
  const colours = palette.includes(project.color) || !project.color ? palette : [project.color, ...palette];
  const swatches = colours.map((color, i) => h("label", { class: "sb-swatch", title: color },
    h("input", { type: "radio", name: "pd-color", value: color, checked: color === project.color, "aria-label": `Colour ${i + 1}` }),
    h("span", { style: `--dot:${color}` })));
  const error = errorLine();
  const form = h("form", { class: "dialog-form", novalidate: true },
    field("Name", name),
    h("fieldset", { class: "sb-swatches" }, h("legend", { class: "sb-field-label" }, "Colour"), swatches),
    error);
  const remove = h("button", { class: "button ghost danger pd-delete", type: "button" }, icon("trash", { size: 15 }), "Delete project…");
  const cancel = h("button", { class: "button ghost", type: "button" }, "Cancel");
  const save = h("button", { class: "button primary", type: "submit" }, "Save");
  const m = modal({ title: "Edit project", content: form, actions: [remove, cancel, save], className: "sb-dialog pd-dialog" });
  form.id = "pd-form";
  save.setAttribute("form", form.id);
  cancel.addEventListener("click", () => m.close(null));
  remove.addEventListener("click", () => m.close("delete"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = name.value.trim();
    if (!value) {
      error.show("A project needs a name.");
      name.focus();
      return;
    }
    error.hide();
    save.disabled = true;
    try {
      const color = form.querySelector("input[name=pd-color]:checked")?.value || null;
      const body = { project_id: project.project_id, name: value, ...(color ? { color } : {}) };
      m.close({ project: (await api.post("/api/projects/rename", body)).project });
    } catch (err) {
      error.show(err.message);
      save.disabled = false;
    }
  });
  name.focus();
  name.select();
  const outcome = await m.closed;
  return outcome === "delete" ? deleteProject(project) : outcome;
}

/** Ask, then delete: Promise<{deleted: project_id} | null>. */
export async function deleteProject(project) {
  const sure = await confirmDialog({ title: `Delete “${project.name}”?`,
    text: "Its chats are kept: they just leave the project.", confirmLabel: "Delete project", danger: true });
  if (!sure) return null;
  await api.post("/api/projects/delete", { project_id: project.project_id });
  return { deleted: project.project_id };
}
