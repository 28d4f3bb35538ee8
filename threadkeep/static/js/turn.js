// A running turn, live: follows /api/chat/stream (Server-Sent Events) and draws the reply as it arrives.
//
// EventSource resumes by itself after a network drop, sending Last-Event-ID, and the server replays every
// event after that id: nothing is lost or drawn twice. After a page reload the page attaches from the start
// of the turn (the server keeps every event of a running turn) and draws the whole reply again from events.

import { h, icon } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { errorBlock, reasoningBlock, toolCard } from "./messages.js";

const EVENTS = ["token", "reasoning", "tool", "tool_complete", "approval", "metering", "done", "title",
  "stream_end", "apperror", "cancel"];

/**
 * Follow a stream. handlers.onEvent(name, data, id) for each event in order; handlers.onState("live" |
 * "reconnecting" | "closed"). Returns {close()}.
 */
export function followStream(streamId, { onEvent, onState }) {
  const source = new EventSource(`/api/chat/stream?stream_id=${encodeURIComponent(streamId)}`);
  let lastId = 0;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    source.close();
    onState("closed");
  };
  for (const name of EVENTS) {
    source.addEventListener(name, (event) => {
      const id = Number(event.lastEventId) || 0;
      if (id && id <= lastId) return; // belt and braces: never draw an event twice
      if (id) lastId = id;
      let data = {};
      try { data = JSON.parse(event.data); } catch { /* keep {} */ }
      onEvent(name, data, id);
      if (name === "stream_end") close();
    });
  }
  source.addEventListener("open", () => onState("live"));
  source.addEventListener("error", () => {
    if (closed) return;
    if (source.readyState === EventSource.CLOSED) close(); // 404: the stream is gone (finished long ago)
    else onState("reconnecting");
  });
  return { close, get lastId() { return lastId; } };
}

/** The assistant's reply being drawn from events: text segments, reasoning, tool cards, errors. */
export class LiveReply {
  constructor({ onApproval }) {
    this.onApproval = onApproval;
    this.body = h("div", { class: "msg-body" });
    this.typing = h("div", { class: "typing", "aria-label": "Assistant is replying" }, h("span"), h("span"), h("span"));
    this.body.append(this.typing);
    this.el = h("article", { class: "msg msg-assistant live", dataset: { role: "assistant", live: "true" }, "aria-label": "Assistant reply", "aria-busy": "true" },
      h("div", { class: "msg-avatar", "aria-hidden": "true" }, icon("logo", { size: 16 })),
      h("div", { class: "msg-main" }, this.body));
    this.text = null; // {el, source}
    this.reasoning = null; // {el, body, source}
    this.cards = new Map();
    this.pending = false;
    this.finished = false;
  }

  _insert(node) {
    this.body.insertBefore(node, this.typing);
  }

  token(text) {
    if (!this.text) {
      this._closeReasoning();
      this.text = { el: h("div", { class: "markdown" }), source: "" };
      this._insert(this.text.el);
    }
    this.text.source += text;
    this._schedule();
  }

  reasoningDelta(text) {
    if (!this.reasoning) {
      const el = reasoningBlock("", { open: true, live: true });
      this.reasoning = { el, body: el.querySelector(".reasoning-body"), source: "" };
      this._insert(el);
    }
    this.reasoning.source += text;
    this.reasoning.body.textContent = this.reasoning.source;
  }

  _closeReasoning() {
    if (this.reasoning) {
      this.reasoning.el.classList.remove("live");
      this.reasoning.el.querySelector(".reasoning-label").textContent = "Reasoning";
      this.reasoning.el.open = false;
      this.reasoning = null;
    }
  }

  _schedule() {
    if (this.pending) return;
    this.pending = true;
    const long = this.text && this.text.source.length > 40_000;
    const run = () => {
      this.pending = false;
      if (this.text) renderMarkdown(this.text.el, this.text.source, { highlight: false });
    };
    if (long) setTimeout(run, 250);
    else requestAnimationFrame(run);
  }

  _flushText() {
    if (this.text) {
      renderMarkdown(this.text.el, this.text.source);
      this.text = null;
    }
  }

  tool({ id, name, args }) {
    this._flushText();
    this._closeReasoning();
    const card = toolCard({ id, name, args });
    this.cards.set(id, card);
    this._insert(card.el);
  }

  toolComplete({ id, ok, error, result, duration_ms }) {
    const card = this.cards.get(id);
    if (!card) return;
    card.update({ state: error === "denied" ? "denied" : ok ? "ok" : "error", result, error, duration_ms });
  }

  approval(data) {
    const card = this.cards.get(data.tool_call_id);
    if (card) card.askApproval({ onChoice: (choice) => this.onApproval(data.approval_id, choice) });
  }

  error(data) {
    this._flushText();
    this._insert(errorBlock(data));
  }

  cancelled() {
    this._flushText();
    this._insert(h("div", { class: "msg-note" }, icon("stop", { size: 14 }), "Stopped — the partial reply is kept."));
  }

  finish() {
    this.finished = true;
    this._flushText();
    this._closeReasoning();
    this.typing.remove();
    this.el.removeAttribute("aria-busy");
    this.el.dataset.live = "false";
  }

  /** Does the reply show anything yet (so the typing dots can go)? */
  get started() {
    return this.body.childElementCount > 1;
  }
}
