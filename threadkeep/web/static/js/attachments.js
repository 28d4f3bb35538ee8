// The composer's attachments: files picked (paperclip), dropped on the chat or pasted wait in a tray above
// the box; on send they are uploaded into the session's workspace (POST /api/upload, as hermes' page does)
// and the message names them in `attachments` (POST /api/chat/start).

import * as api from "./api.js";
import { h, icon } from "./dom.js";

const MAX_FILES = 20; // hermes keeps at most 20 attachments per message

/**
 * attachmentTray({dropZone, onChange}) → {tray, button, input, files(), add(files), clear(), restore(files),
 *   upload(sessionId, files)}.
 * `tray` goes above the composer box, `button` (and the hidden `input`) inside it.
 */
export function attachmentTray({ dropZone, onChange = () => {} }) {
  let pending = [];
  const tray = h("div", { class: "attach-tray", hidden: true, "aria-label": "Attached files", role: "list" });
  const input = h("input", { type: "file", multiple: true, hidden: true, "aria-label": "Attach files" });
  const button = h("button", { class: "composer-attach", type: "button", "aria-label": "Attach files", title: "Attach files (or drop / paste them)",
    onclick: () => input.click() }, icon("paperclip", { size: 18 }));

  function render() {
    tray.hidden = pending.length === 0;
    tray.replaceChildren(...pending.map((file, i) => h("span", { class: "attach-chip", role: "listitem" },
      icon(file.type.startsWith("image/") ? "image" : "file", { size: 14 }),
      h("span", { class: "attach-name", title: file.name }, file.name),
      h("button", { class: "icon-button attach-remove", type: "button", "aria-label": `Remove ${file.name}`,
        onclick: () => { pending.splice(i, 1); render(); onChange(); } }, icon("x", { size: 13 })))));
  }

  function add(files) {
    for (const file of files) {
      if (pending.length >= MAX_FILES) break;
      if (!pending.some((p) => p.name === file.name && p.size === file.size)) pending.push(file);
    }
    render();
    onChange();
  }

  input.addEventListener("change", () => {
    add([...input.files]);
    input.value = "";
  });
  dropZone.addEventListener("dragover", (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault();
    dropZone.dataset.dropping = "true";
  });
  dropZone.addEventListener("dragleave", (event) => {
    if (!dropZone.contains(event.relatedTarget)) delete dropZone.dataset.dropping;
  });
  dropZone.addEventListener("drop", (event) => {
    delete dropZone.dataset.dropping;
    const files = [...(event.dataTransfer?.files || [])];
    if (!files.length) return;
    event.preventDefault();
    add(files);
  });
  dropZone.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (!files.length) return; // plain text pastes as usual
    event.preventDefault();
    add(files.map((f, i) => (f.name && f.name !== "image.png" ? f : new File([f], pastedName(f, i), { type: f.type }))));
  });

  /** Upload `files` into the workspace's root; returns the names the message refers to. */
  async function upload(sessionId, files) {
    const names = [];
    for (const file of files) {
      const form = new FormData();
      form.append("session_id", sessionId);
      form.append("file", file, file.name);
      const saved = await api.post("/api/upload", form);
      names.push(saved.rel_path || saved.filename);
    }
    return names;
  }

  return {
    tray, button, input, add, upload,
    files: () => [...pending],
    clear() { pending = []; render(); onChange(); },
    restore(files) { pending = []; add(files); },
  };
}

function pastedName(file, i) {
  const ext = (file.type.split("/")[1] || "bin").replace(/[^a-z0-9]/gi, "");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return `pasted-${stamp}${i ? `-${i}` : ""}.${ext}`;
}
