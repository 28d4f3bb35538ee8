// Global keyboard shortcuts. Enter / Shift+Enter live in the composer itself.
//   Ctrl/Cmd+K          focus session search
//   Ctrl/Cmd+Shift+O    new chat
//   Esc                 stop the running reply (or close an open dialog / drawer)
//   Ctrl/Cmd+B          toggle the session sidebar;  Ctrl/Cmd+J  toggle the workspace panel

import { emit } from "./bus.js";

export function installShortcuts() {
  document.addEventListener("keydown", (event) => {
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (mod && !event.shiftKey && key === "k") {
      event.preventDefault();
      emit("focus-search");
    } else if (mod && event.shiftKey && key === "o") {
      event.preventDefault();
      emit("new-chat");
    } else if (mod && !event.shiftKey && key === "b") {
      event.preventDefault();
      emit("toggle-sidebar");
    } else if (mod && !event.shiftKey && key === "j") {
      event.preventDefault();
      emit("toggle-workspace");
    } else if (key === "escape" && !event.defaultPrevented) {
      if (document.querySelector("dialog[open]")) return; // the dialog closes itself
      emit("escape");
    }
  });
}
