// Light / dark / system theme, remembered in localStorage; the code-highlight stylesheet follows.

const KEY = "threadkeep.theme";
const media = window.matchMedia("(prefers-color-scheme: dark)");

export function currentTheme() {
  return localStorage.getItem(KEY) || "system";
}

export function applyTheme(choice = currentTheme()) {
  const dark = choice === "dark" || (choice === "system" && media.matches);
  document.documentElement.dataset.theme = choice;
  document.documentElement.dataset.scheme = dark ? "dark" : "light";
  const light = document.getElementById("hljs-light");
  const darkSheet = document.getElementById("hljs-dark");
  if (light && darkSheet) {
    light.disabled = dark;
    darkSheet.disabled = !dark;
  }
}

export function setTheme(choice) {
  localStorage.setItem(KEY, choice);
  applyTheme(choice);
}

/** system → light → dark → system */
export function cycleTheme() {
  const next = { system: "light", light: "dark", dark: "system" }[currentTheme()] || "system";
  setTheme(next);
  return next;
}

media.addEventListener("change", () => applyTheme());
applyTheme();
