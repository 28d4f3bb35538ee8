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

/**
 * Where the streamed markdown can be split: after the last blank line that is outside a code fence and not
 * followed by an indented/list continuation. Everything before it is finished and renders the same alone.
 */
export function safeBoundary(source, from) {
  let fence = false;
  let boundary = from;
  let lineStart = from;
  for (let i = from; i < source.length; i++) {
    if (source[i] !== "\n") continue;
    const line = source.slice(lineStart, i);
    if (/^\s{0,3}(```|~~~)/.test(line)) fence = !fence;
    if (!fence && line.trim() === "" && i + 1 < source.length) {
      const next = source[i + 1];
      if (next !== " " && next !== "\t" && next !== "\n" && !/^(\d+[.)]|[-*+])\s/.test(source.slice(i + 1, i + 5))) {
        boundary = i + 1;
      }
    }
    lineStart = i + 1;
  }
  return boundary;
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
    this.drawnAt = 0;
    this.finished = false;
  }

  _insert(node) {
    this.body.insertBefore(node, this.typing);
    // The dots say "waiting for the first word"; once something shows they go (an animation running for
    // the whole reply would repaint the page 60 times a second).
    this.typing.hidden = true;
  }

  token(text) {
    if (!this.text) {
      this._closeReasoning();
      // Finished blocks are rendered once into `done`; only the block still growing is redrawn per frame.
      const done = h("div", { class: "markdown-done" });
      const tail = h("div", { class: "markdown-tail" });
      this.text = { el: h("div", { class: "markdown" }, done, tail), done, tail, source: "", frozen: 0 };
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
    // At most ~20 redraws a second, each in an animation frame: smooth to the eye, cheap for the CPU.
    const wait = Math.max(0, 50 - (performance.now() - this.drawnAt));
    setTimeout(() => requestAnimationFrame(() => {
      this.pending = false;
      this.drawnAt = performance.now();
      if (this.text) this._renderLive(this.text);
    }), wait);
  }

  _renderLive(t) {
    const cut = safeBoundary(t.source, t.frozen);
    if (cut > t.frozen) {
      const block = h("div", { class: "markdown-block" });
      renderMarkdown(block, t.source.slice(t.frozen, cut), { highlight: false });
      t.done.append(...block.childNodes);
      t.frozen = cut;
    }
    renderMarkdown(t.tail, t.source.slice(t.frozen), { highlight: false });
  }

  _flushText() {
    if (this.text) {
      // The finished text is rendered whole once, so it looks exactly as it will after a reload.
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

  toolComplete({ id, ok, error, result, duration_ms, sandboxed }) {
    const card = this.cards.get(id);
    if (!card) return;
    card.update({ state: error === "denied" ? "denied" : ok ? "ok" : "error", result, error, duration_ms, sandboxed });
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
