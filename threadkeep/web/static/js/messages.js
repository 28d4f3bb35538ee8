// One message → its DOM: a user bubble, an assistant reply (markdown, reasoning, tool cards), actions.
// Pure rendering: what the actions do is the chat panel's business (passed in as callbacks).

import { copyText, formatTokens, h, icon } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

/** The text of a message's content: a string, or the text parts of a list joined by one space. */
export function contentText(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === "string" ? part : part && part.type === "text" ? part.text || "" : ""))
      .filter(Boolean).join(" ");
  }
  return content == null ? "" : String(content);
}

function images(content) {
  if (!Array.isArray(content)) return [];
  return content.filter((p) => p && p.type === "image_url" && p.image_url && /^data:image\//.test(p.image_url.url || ""))
    .map((p) => h("img", { class: "msg-image", src: p.image_url.url, alt: "attached image" }));
}

const IMAGE_FILE = /\.(png|jpe?g|gif|webp|avif|bmp)$/i;

/** Files sent with a message (names in the session's workspace): images as thumbnails, others as chips. */
function attachedFiles(names, sessionId) {
  if (!Array.isArray(names) || !names.length) return null;
  return h("div", { class: "msg-files" }, names.filter((n) => typeof n === "string").map((name) => {
    const base = name.split("/").pop() || name;
    if (sessionId && IMAGE_FILE.test(base)) {
      const src = `/api/file/raw?session_id=${encodeURIComponent(sessionId)}&path=${encodeURIComponent(name)}`;
      return h("img", { class: "msg-image msg-file-image", src, alt: base, loading: "lazy" });
    }
    return h("span", { class: "msg-file", title: name }, icon("file", { size: 13 }), base);
  }));
}

function usageText(msg) {
  const parts = [];
  if (msg.usage) parts.push(`${formatTokens(msg.usage.input_tokens)} in · ${formatTokens(msg.usage.output_tokens)} out`);
  if (msg.model) parts.push(msg.model);
  if (msg.timestamp) parts.push(new Date(msg.timestamp * 1000).toLocaleString());
  return parts.join(" · ");
}

function actionButton(name, label, onclick) {
  return h("button", { class: "icon-button msg-action", type: "button", "aria-label": label, title: label, onclick }, icon(name, { size: 16 }));
}

function copyButton(getText) {
  const button = actionButton("copy", "Copy message", async () => {
    if (await copyText(getText())) {
      button.replaceChildren(icon("check", { size: 16 }));
      setTimeout(() => button.replaceChildren(icon("copy", { size: 16 })), 1200);
    }
  });
  return button;
}

export function reasoningBlock(text, { open = false, live = false } = {}) {
  const body = h("div", { class: "reasoning-body" }, text || "");
  const details = h("details", { class: `reasoning${live ? " live" : ""}` },
    h("summary", {}, icon("brain", { size: 15 }), h("span", { class: "reasoning-label" }, live ? "Thinking…" : "Reasoning")),
    body);
  details.open = open;
  return details;
}

function prettyArgs(args) {
  if (args == null || args === "") return "";
  if (typeof args === "string") {
    try { return JSON.stringify(JSON.parse(args), null, 2); } catch { return args; }
  }
  return JSON.stringify(args, null, 2);
}

function argsSummary(args) {
  let value = args;
  if (typeof value === "string") { try { value = JSON.parse(value); } catch { return value.slice(0, 60); } }
  if (value && typeof value === "object") {
    const first = Object.values(value).find((v) => typeof v === "string");
    if (first) return first.length > 60 ? `${first.slice(0, 57)}…` : first;
  }
  return "";
}

/**
 * A tool call card. state: running | ok | error | approval | denied.
 * Returns {el, update({state, result, error, duration_ms, sandboxed}), askApproval({approval_id, onChoice})}.
 * `sandboxed` (commands only): true → a small "sandboxed" tag; false → a warning that it ran unsandboxed.
 */
export function toolCard({ id, name, args }) {
  const status = h("span", { class: "tool-status" });
  const sandbox = h("span", { class: "tool-sandbox", hidden: true });
  const result = h("pre", { class: "tool-result" });
  const resultWrap = h("div", { class: "tool-section tool-result-wrap", hidden: true }, h("div", { class: "tool-section-label" }, "Result"), result);
  const approval = h("div", { class: "tool-approval", hidden: true });
  const details = h("details", { class: "tool-details" },
    h("summary", {}, h("span", { class: "tool-section-label" }, "Arguments")),
    h("pre", { class: "tool-args" }, prettyArgs(args)));
  const el = h("div", { class: "tool-card", dataset: { toolCallId: id || "", state: "running" } },
    h("div", { class: "tool-head" },
      h("span", { class: "tool-icon" }, icon("tool", { size: 15 })),
      h("span", { class: "tool-name" }, name || "tool"),
      h("span", { class: "tool-summary" }, argsSummary(args)),
      sandbox, status),
    approval, details, resultWrap);

  const setState = (state, label) => {
    el.dataset.state = state;
    const spinner = state === "running" ? [h("span", { class: "spinner", "aria-hidden": "true" })] : [];
    status.replaceChildren(...spinner, label);
  };
  setState("running", "running");

  return {
    el,
    update({ state, result: text, error, duration_ms: ms, sandboxed }) {
      approval.hidden = true;
      approval.replaceChildren();
      if (typeof sandboxed === "boolean") {
        sandbox.dataset.sandboxed = String(sandboxed);
        sandbox.title = sandboxed ? "Ran in a sandbox: only the workspace was writable, no network unless allowed"
          : "Ran without a sandbox: the command could reach the server's files and network";
        sandbox.replaceChildren(...(sandboxed ? [] : [icon("alert", { size: 13 })]), sandboxed ? "sandboxed" : "unsandboxed");
        sandbox.hidden = false;
      }
      const label = state === "ok" ? "done" : state === "denied" ? "denied" : state === "error" ? "failed" : state;
      setState(state, ms != null ? `${label} · ${ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`}` : label);
      if (text != null || error) {
        result.textContent = [error && state !== "denied" ? `Error: ${error}` : null, text].filter(Boolean).join("\n");
        resultWrap.hidden = !result.textContent;
      }
    },
    askApproval({ onChoice }) {
      setState("approval", "needs approval");
      details.open = true;
      const buttons = [
        h("button", { class: "button small primary", type: "button", onclick: () => choose("once") }, icon("check", { size: 14 }), "Approve"),
        h("button", { class: "button small", type: "button", onclick: () => choose("session") }, `Allow ${name} for this chat`),
        h("button", { class: "button small danger", type: "button", onclick: () => choose("deny") }, icon("x", { size: 14 }), "Deny"),
      ];
      const choose = async (choice) => {
        buttons.forEach((b) => { b.disabled = true; });
        const ok = await onChoice(choice);
        if (!ok) buttons.forEach((b) => { b.disabled = false; });
        else setState("running", choice === "deny" ? "denying" : "running");
      };
      approval.replaceChildren(h("span", { class: "tool-approval-text" }, icon("alert", { size: 15 }), `The agent wants to run ${name}.`), ...buttons);
      approval.hidden = false;
    },
  };
}

/** An inline error block (provider errors), with its hint. */
export function errorBlock({ type, message, hint }) {
  const titles = { auth: "Authentication failed", rate_limit: "Rate limited", quota: "Quota exceeded",
    model_not_found: "Model not found", no_response: "No response from the provider", error: "Something went wrong" };
  return h("div", { class: "msg-error", role: "alert" },
    icon("alert", { size: 16 }),
    h("div", {},
      h("div", { class: "msg-error-title" }, titles[type] || titles.error),
      h("div", { class: "msg-error-text" }, message || ""),
      hint ? h("div", { class: "msg-error-hint" }, hint) : null));
}

/**
 * Render one stored message at transcript index `index`.
 * ctx: {toolResults: Map(tool_call_id → tool message), onEdit, onBranch, onRetry, onUndo, isLast}
 * Tool messages render nothing on their own when their call is shown on a card.
 */
export function renderMessage(msg, index, ctx) {
  const role = msg.role;
  if (role === "tool" && ctx.toolCallShown && ctx.toolCallShown(msg.tool_call_id)) return null;
  const text = contentText(msg.content);
  const el = h("article", { class: `msg msg-${role}`, dataset: { index: String(index), role }, "aria-label": role === "user" ? "Your message" : role === "assistant" ? "Assistant reply" : `${role} message` });
  const usage = usageText(msg);
  if (usage) el.title = usage;

  if (role === "user") {
    const bubble = h("div", { class: "msg-bubble" }, h("div", { class: "msg-text" }, text), images(msg.content),
      attachedFiles(msg.attachments, ctx.sessionId));
    const actions = h("div", { class: "msg-actions" },
      copyButton(() => text),
      actionButton("edit", "Edit and resend", () => ctx.onEdit(index, text, el)),
      actionButton("branch", "Branch from here", () => ctx.onBranch(index)));
    el.append(bubble, actions);
    return el;
  }

  if (role === "assistant" && msg._error && msg.error && typeof msg.error === "object") {
    // A failed turn's stored notice: drawn as the live error was (its text is hermes' rendering of the same).
    el.classList.add("msg-outcome");
    el.append(h("div", { class: "msg-avatar", "aria-hidden": "true" }, icon("logo", { size: 16 })),
      h("div", { class: "msg-main" }, h("div", { class: "msg-body" }, errorBlock(msg.error)),
        h("div", { class: "msg-actions" },
          ctx.isLast ? actionButton("retry", "Retry", () => ctx.onRetry()) : null,
          ctx.isLast ? actionButton("undo", "Undo last turn", () => ctx.onUndo()) : null)));
    return el;
  }

  if (role === "assistant") {
    const body = h("div", { class: "msg-body" });
    if (msg.reasoning) body.append(reasoningBlock(msg.reasoning));
    if (text) body.append(renderMarkdown(h("div", { class: "markdown" }), text));
    for (const call of msg.tool_calls || []) {
      const fn = call.function || {};
      const card = toolCard({ id: call.id, name: fn.name, args: fn.arguments });
      const resultMsg = ctx.toolResults.get(call.id);
      if (resultMsg) {
        const resultText = contentText(resultMsg.content);
        const failed = /^Error: /.test(resultText) || resultText === "The user denied this tool call.";
        card.update({ state: resultText === "The user denied this tool call." ? "denied" : failed ? "error" : "ok", result: resultText,
          sandboxed: resultMsg.sandboxed });
      } else if (!ctx.live) {
        card.update({ state: "error", result: null, error: "no result (the turn ended before the tool ran)" });
      }
      body.append(card.el);
    }
    if (msg._partial) body.append(h("div", { class: "msg-note" }, icon("info", { size: 14 }), "Interrupted — this reply is incomplete."));
    if (msg.error) body.append(errorBlock(typeof msg.error === "object" ? msg.error : { message: String(msg.error) }));
    const actions = h("div", { class: "msg-actions" },
      text ? copyButton(() => text) : null,
      actionButton("branch", "Branch from here", () => ctx.onBranch(index)),
      ctx.isLast ? actionButton("retry", "Regenerate reply", () => ctx.onRetry()) : null,
      ctx.isLast ? actionButton("undo", "Undo last turn", () => ctx.onUndo()) : null,
      msg.usage ? h("span", { class: "msg-usage" }, `${formatTokens(msg.usage.input_tokens)} in · ${formatTokens(msg.usage.output_tokens)} out`) : null);
    el.append(h("div", { class: "msg-avatar", "aria-hidden": "true" }, icon("logo", { size: 16 })), h("div", { class: "msg-main" }, body, actions));
    return el;
  }

  // system / orphan tool messages
  el.append(h("div", { class: "msg-system" }, h("span", { class: "msg-system-role" }, role), h("pre", {}, text)));
  return el;
}
