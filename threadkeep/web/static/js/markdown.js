// Model output → safe HTML: marked parses, DOMPurify sanitises (no script, no event handlers, no
// javascript: URLs), highlight.js colours code; links open in a new tab; code blocks get a copy button.

import { Marked } from "../vendor/marked-18.2.1.esm.js";
import DOMPurify from "../vendor/purify-3.4.18.es.js";
import hljs from "../vendor/highlight-11.12.0.es.min.js";
import { copyText, h, icon } from "./dom.js";

const marked = new Marked({ gfm: true, breaks: false, async: false });

// Model output may not style itself with the page's classes: only a code block's language survives.
DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
  if (data.attrName === "class") {
    data.keepAttr = node.tagName === "CODE" && /^language-[\w+#.-]{1,32}$/.test(data.attrValue);
  }
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    const href = node.getAttribute("href") || "";
    if (!/^(https?:|mailto:|#|\/)/i.test(href.trim())) node.removeAttribute("href");
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
  if (node.tagName === "IMG") {
    const src = node.getAttribute("src") || "";
    if (!/^(https?:|data:image\/(png|gif|jpe?g|webp);)/i.test(src.trim())) node.removeAttribute("src");
    node.setAttribute("loading", "lazy");
    node.setAttribute("referrerpolicy", "no-referrer");
  }
});

const PURIFY = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "math"],
  FORBID_ATTR: ["style", "id"],
};

/** Sanitised HTML string for a markdown source. */
export function toSafeHtml(source) {
  return DOMPurify.sanitize(marked.parse(String(source ?? "")), PURIFY);
}

/** Render markdown into `el` (replacing its content), then highlight code and add copy buttons. */
export function renderMarkdown(el, source, { highlight = true } = {}) {
  el.innerHTML = toSafeHtml(source);
  for (const pre of el.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    if (!code) continue;
    const lang = ([...code.classList].find((c) => c.startsWith("language-")) || "").slice(9);
    if (highlight) highlightCode(code, lang);
    const button = h("button", { class: "code-copy icon-button", type: "button", "aria-label": "Copy code", title: "Copy code" }, icon("copy", { size: 15 }));
    button.addEventListener("click", async () => {
      if (await copyText(code.textContent)) {
        button.replaceChildren(icon("check", { size: 15 }));
        setTimeout(() => button.replaceChildren(icon("copy", { size: 15 })), 1200);
      }
    });
    const label = h("span", { class: "code-lang" }, lang || "text");
    pre.prepend(h("div", { class: "code-head" }, label, button));
  }
  for (const table of el.querySelectorAll("table")) {
    if (!table.parentElement.classList.contains("table-wrap")) table.replaceWith(h("div", { class: "table-wrap" }, table.cloneNode(true)));
  }
  return el;
}

export function highlightCode(code, lang) {
  try {
    const text = code.textContent;
    if (text.length > 200_000) return; // huge blobs: plain text stays responsive
    const result = lang && hljs.getLanguage(lang) ? hljs.highlight(text, { language: lang, ignoreIllegals: true })
      : hljs.highlightAuto(text.slice(0, 20_000));
    if (text.length > 20_000 && !(lang && hljs.getLanguage(lang))) return;
    code.innerHTML = result.value; // hljs escapes the text it wraps
    code.classList.add("hljs");
  } catch {
    /* leave plain */
  }
}

/** Language for a file name, for the workspace preview. */
export function languageForFile(name) {
  const ext = (name.split(".").pop() || "").toLowerCase();
  const map = { py: "python", js: "javascript", mjs: "javascript", ts: "typescript", tsx: "typescript", jsx: "javascript",
    json: "json", md: "markdown", sh: "bash", bash: "bash", yml: "yaml", yaml: "yaml", toml: "ini", ini: "ini",
    html: "xml", xml: "xml", svg: "xml", css: "css", rs: "rust", go: "go", java: "java", c: "c", h: "c",
    cpp: "cpp", rb: "ruby", php: "php", sql: "sql", txt: "plaintext", csv: "plaintext" };
  return map[ext] || "";
}
