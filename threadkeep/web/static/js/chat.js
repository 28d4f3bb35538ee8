// The chat panel: header (title, model, usage), the transcript (newest first, earlier pages on scroll up),
// the running turn, the queue and the composer. Uses only the public HTTP API.

import * as api from "./api.js";
import { emit, on } from "./bus.js";
import { clear, formatCost, formatTokens, h, icon } from "./dom.js";
import { contentText, renderMessage } from "./messages.js";
import { attachmentTray } from "./attachments.js";
import { modelLabel, newChat, selectSession, state } from "./state.js";
import { toast, toastError } from "./toast.js";
import { followStream, LiveReply } from "./turn.js";

const PAGE = 60;
const SUGGESTIONS = ["List the files in my workspace", "Write hello.py that prints the date, then run it",
  "Explain what threadkeep keeps when I reload mid-reply"];

export function initChat(root) {
  const ui = buildShell(root);
  let view = null; // the open session's view state (see openSession)
  let loadToken = 0;

  // ---- shell --------------------------------------------------------------------------------------
  function buildShell(rootEl) {
    const title = h("h1", { class: "chat-title", id: "chat-title" }, "New chat");
    const modelSelect = h("select", { class: "select model-select", "aria-label": "Model", id: "model-select" });
    const gauge = h("button", { class: "usage-gauge", type: "button", "aria-label": "Session usage", hidden: true });
    const header = h("header", { class: "chat-header" },
      h("button", { class: "icon-button", type: "button", "aria-label": "Toggle sessions", title: "Sessions (Ctrl+B)", onclick: () => emit("toggle-sidebar") }, icon("menu")),
      title,
      h("div", { class: "chat-header-tools" },
        modelSelect, gauge,
        h("button", { class: "icon-button", type: "button", "aria-label": "Toggle workspace", title: "Workspace (Ctrl+J)", onclick: () => emit("toggle-workspace") }, icon("panel"))));
    const topSentinel = h("div", { class: "top-sentinel", "aria-hidden": "true" });
    const earlier = h("div", { class: "earlier", hidden: true }, h("span", { class: "spinner" }), "Loading earlier messages…");
    const list = h("div", { class: "messages", id: "messages", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
    const welcome = h("div", { class: "welcome", hidden: true });
    const scroller = h("div", { class: "scroller" }, topSentinel, earlier, welcome, list);
    const jump = h("button", { class: "jump-latest button small", type: "button", hidden: true, onclick: () => scrollToBottom(true) }, "↓ Latest");
    const notices = h("div", { class: "notices" });
    const queue = h("div", { class: "queue", hidden: true, "aria-label": "Queued messages" });
    const input = h("textarea", { class: "composer-input", id: "composer-input", rows: "1", "aria-label": "Message",
      placeholder: "Message threadkeep…" });
    const send = h("button", { class: "composer-send", type: "submit", "aria-label": "Send", title: "Send (Enter)" }, icon("send", { size: 18 }));
    const stop = h("button", { class: "composer-stop", type: "button", "aria-label": "Stop", title: "Stop (Esc)", hidden: true }, icon("stop", { size: 18 }));
    const status = h("div", { class: "composer-status", "aria-live": "polite" });
    const attach = attachmentTray({ dropZone: rootEl });
    const form = h("form", { class: "composer", "aria-label": "Send a message" }, attach.tray,
      h("div", { class: "composer-box" }, attach.button, attach.input, input, h("div", { class: "composer-buttons" }, stop, send)), status);
    const footer = h("div", { class: "chat-footer" }, notices, queue, form);
    rootEl.append(header, scroller, jump, footer);
    return { title, modelSelect, gauge, scroller, topSentinel, earlier, list, welcome, jump, notices, queue, input, send, stop, status, form, attach };
  }

  // ---- scrolling ----------------------------------------------------------------------------------
  const nearBottom = () => ui.scroller.scrollHeight - ui.scroller.scrollTop - ui.scroller.clientHeight < 120;
  let stick = true;
  ui.scroller.addEventListener("scroll", () => {
    stick = nearBottom();
    ui.jump.hidden = stick || !view;
  }, { passive: true });
  function scrollToBottom(force = false) {
    if (force || stick) {
      ui.scroller.scrollTop = ui.scroller.scrollHeight;
      stick = true;
      ui.jump.hidden = true;
    }
  }
  // Streamed events ask for a scroll; one per frame does it (reading scrollHeight forces a layout).
  let scrollQueued = false;
  function requestScroll() {
    if (scrollQueued || !stick) return;
    scrollQueued = true;
    requestAnimationFrame(() => {
      scrollQueued = false;
      scrollToBottom();
    });
  }
  new ResizeObserver(() => requestScroll()).observe(ui.list);

  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadEarlier();
  }, { root: ui.scroller, rootMargin: "600px 0px 0px 0px" }).observe(ui.topSentinel);

  // ---- composer -----------------------------------------------------------------------------------
  const autosize = () => {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 240)}px`;
  };
  ui.input.addEventListener("input", autosize);
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && view?.live) {
      event.preventDefault();
      stopTurn();
    }
  });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  ui.stop.addEventListener("click", () => stopTurn());

  function submit() {
    const text = ui.input.value;
    const files = ui.attach.files();
    if (!text.trim() && !files.length) return;
    ui.input.value = "";
    autosize();
    ui.attach.clear();
    sendMessage(text, files).catch(() => {});
  }

  function restoreDraft(text) {
    if (!ui.input.value.trim()) {
      ui.input.value = text;
      autosize();
    }
    ui.input.focus();
  }

  // ---- model picker and usage --------------------------------------------------------------------
  function fillModels() {
    clear(ui.modelSelect);
    const groups = state.models.groups || [];
    for (const group of groups) {
      const og = h("optgroup", { label: group.provider });
      for (const model of group.models || []) og.append(h("option", { value: model.id }, model.label || model.id));
      ui.modelSelect.append(og);
    }
    ui.modelSelect.hidden = groups.length === 0;
  }
  function showModel(modelId) {
    const id = modelId || state.models.default_model;
    if (id && ![...ui.modelSelect.options].some((o) => o.value === id)) {
      ui.modelSelect.append(h("option", { value: id }, `${id} (not configured)`));
    }
    if (id) ui.modelSelect.value = id;
    ui.modelSelect.title = modelLabel(id);
    updateNotices();
  }
  ui.modelSelect.addEventListener("change", async () => {
    const model = ui.modelSelect.value;
    updateNotices();
    if (!view) return;
    try {
      const { session } = await api.post("/api/session/update", { session_id: view.id, model });
      view.session = { ...view.session, ...session };
      emit("session-updated", { session: compact(view.session) });
    } catch (err) {
      toastError(err);
    }
  });

  function isDemo(modelId) {
    const id = modelId || ui.modelSelect.value;
    return (state.models.groups || []).some((g) => g.provider_id === "demo" && (g.models || []).some((m) => m.id === id));
  }

  function updateNotices() {
    clear(ui.notices);
    if (isDemo()) {
      ui.notices.append(h("div", { class: "notice notice-demo", role: "note" }, icon("info", { size: 16 }),
        h("div", {}, h("strong", {}, "Demo model: no provider is configured. "),
          "Set ", h("code", {}, "OPENAI_API_KEY"), " (and ", h("code", {}, "OPENAI_BASE_URL"), " for Ollama, vLLM, LM Studio…) or ",
          h("code", {}, "ANTHROPIC_API_KEY"), ", or add a provider to ", h("code", {}, "threadkeep.toml"),
          " in the data directory, then restart — see “Providers” in the README.")));
    }
    if (view?.reconnecting) {
      ui.notices.append(h("div", { class: "notice notice-warn", role: "status" }, h("span", { class: "spinner" }), "Connection lost — reconnecting; nothing will be missed."));
    }
  }

  function showUsage(session) {
    if (!session) {
      ui.gauge.hidden = true;
      return;
    }
    const total = (session.input_tokens || 0) + (session.output_tokens || 0);
    ui.gauge.hidden = false;
    ui.gauge.replaceChildren(icon("clock", { size: 14 }), h("span", {}, `${formatTokens(total)} tokens`), h("span", { class: "usage-cost" }, formatCost(session.estimated_cost)));
    ui.gauge.title = `${session.input_tokens || 0} input + ${session.output_tokens || 0} output tokens · estimated ${formatCost(session.estimated_cost)}`;
  }

  ui.gauge.addEventListener("click", async () => {
    if (!view) return;
    document.querySelector(".usage-pop")?.remove();
    try {
      const usage = await api.get("/api/session/usage", { session_id: view.id });
      const rect = ui.gauge.getBoundingClientRect();
      const rows = (usage.by_model || usage.models || []).map((m) => h("tr", {},
        h("td", {}, m.model || "—"), h("td", {}, formatTokens(m.input_tokens)), h("td", {}, formatTokens(m.output_tokens)), h("td", {}, formatCost(m.estimated_cost))));
      const pop = h("div", { class: "menu usage-pop", role: "dialog", "aria-label": "Usage by model" },
        h("div", { class: "menu-label" }, "This chat"),
        h("div", { class: "usage-total" }, `${formatTokens(usage.input_tokens)} in · ${formatTokens(usage.output_tokens)} out · ${formatCost(usage.estimated_cost)}`),
        rows.length ? h("table", { class: "usage-table" }, h("thead", {}, h("tr", {}, h("th", {}, "Model"), h("th", {}, "In"), h("th", {}, "Out"), h("th", {}, "Cost"))), h("tbody", {}, rows)) : null);
      pop.style.top = `${rect.bottom + 6}px`;
      pop.style.right = `${Math.max(8, window.innerWidth - rect.right)}px`;
      document.body.append(pop);
      const close = (e) => {
        if (!pop.contains(e.target) && e.target !== ui.gauge) {
          pop.remove();
          document.removeEventListener("pointerdown", close);
        }
      };
      setTimeout(() => document.addEventListener("pointerdown", close));
    } catch (err) {
      toastError(err);
    }
  });

  // ---- rendering the transcript ------------------------------------------------------------------
  function compact(session) {
    const { messages, ...rest } = session;
    return rest;
  }

  function ctxFor(v) {
    const toolResults = new Map();
    const shownCalls = new Set();
    for (const { msg } of v.messages) {
      if (msg.role === "tool" && msg.tool_call_id) toolResults.set(msg.tool_call_id, msg);
      for (const call of msg.tool_calls || []) shownCalls.add(call.id);
    }
    let lastAssistant = -1;
    let lastUser = -1;
    for (const { index, msg } of v.messages) {
      if (msg.role === "assistant") lastAssistant = index;
      if (msg.role === "user") lastUser = index;
    }
    return {
      toolResults,
      toolCallShown: (id) => shownCalls.has(id),
      lastAssistant: v.live ? -1 : lastAssistant > lastUser ? lastAssistant : -1,
      onEdit: startEdit,
      onBranch: branchAt,
      onRetry: retry,
      onUndo: undo,
      sessionId: v.id,
    };
  }

  /** Redraw every loaded message (cheap enough for a page; keeps tool results and actions right). */
  function renderAll() {
    if (!view) return;
    const ctx = ctxFor(view);
    const frag = document.createDocumentFragment();
    for (const entry of view.messages) {
      const el = renderMessage(entry.msg, entry.index, { ...ctx, isLast: entry.index === ctx.lastAssistant });
      if (el) frag.append(el);
    }
    const liveEl = view.live?.reply.el;
    ui.list.replaceChildren(frag);
    if (liveEl) ui.list.append(liveEl);
    ui.welcome.hidden = view.messages.length > 0 || Boolean(view.live);
    if (!ui.welcome.hidden) drawWelcome();
  }

  function drawWelcome() {
    clear(ui.welcome).append(
      h("div", { class: "welcome-logo", "aria-hidden": "true" }, icon("logo", { size: 30 })),
      h("h2", {}, "What shall we work on?"),
      h("p", {}, "Replies stream live and are kept — reload any time, nothing is lost."),
      h("div", { class: "suggestions" }, SUGGESTIONS.map((text) => h("button", { class: "suggestion", type: "button", onclick: () => { ui.input.value = text; autosize(); ui.input.focus(); } }, text))),
      h("div", { class: "shortcut-hints" },
        h("span", {}, h("kbd", { class: "kbd" }, "Enter"), " send"),
        h("span", {}, h("kbd", { class: "kbd" }, "Shift+Enter"), " new line"),
        h("span", {}, h("kbd", { class: "kbd" }, "Esc"), " stop"),
        h("span", {}, h("kbd", { class: "kbd" }, "Ctrl+K"), " search"),
        h("span", {}, h("kbd", { class: "kbd" }, "Ctrl+Shift+O"), " new chat")));
  }

  function entriesFrom(messages, firstIndex) {
    return messages.map((msg, i) => ({ index: firstIndex + i, msg }));
  }

  /** Messages after the running turn's user message are drawn from its events instead (no duplicates). */
  function trimRunningTurn(v) {
    let lastUser = -1;
    v.messages.forEach((e, i) => { if (e.msg.role === "user") lastUser = i; });
    if (lastUser >= 0) v.messages = v.messages.slice(0, lastUser + 1);
    v.turnStart = lastUser >= 0 ? v.messages[lastUser].index : v.total;
  }

  // ---- opening a session --------------------------------------------------------------------------
  async function openSession(id) {
    const token = ++loadToken;
    if (view?.follow) view.follow.close();
    view = null;
    ui.list.replaceChildren();
    ui.list.dataset.sessionId = id || "";
    ui.list.dataset.state = id ? "loading" : "empty";
    ui.earlier.hidden = true;
    setRunning(false);
    clear(ui.queue).hidden = true;
    if (!id) {
      ui.title.textContent = "New chat";
      document.title = "threadkeep";
      showUsage(null);
      showModel(state.models.default_model);
      ui.welcome.hidden = false;
      drawWelcome();
      return;
    }
    ui.welcome.hidden = true;
    let data;
    try {
      data = await api.get("/api/session", { session_id: id, msg_limit: PAGE });
    } catch (err) {
      if (token !== loadToken) return;
      ui.list.dataset.state = "error";
      ui.list.replaceChildren(h("div", { class: "empty-state" }, icon("alert", { size: 22 }),
        h("p", {}, err.status === 404 ? "This chat does not exist (it may have been deleted)." : err.message),
        h("button", { class: "button", type: "button", onclick: () => selectSession(null) }, "Start a new chat")));
      return;
    }
    if (token !== loadToken) return;
    const session = data.session;
    const firstIndex = session.has_more ? session.msg_before : 0;
    view = {
      id,
      session: compact(session),
      messages: entriesFrom(session.messages || [], firstIndex),
      firstIndex,
      hasMore: Boolean(session.has_more),
      total: session.message_count,
      live: null,
      follow: null,
      turnStart: session.message_count,
      reconnecting: false,
    };
    if (session.active_stream_id) trimRunningTurn(view);
    ui.title.textContent = session.title || "Untitled";
    document.title = `${session.title || "Untitled"} · threadkeep`;
    showModel(session.model);
    showUsage(session);
    stick = true;
    renderAll();
    ui.list.dataset.state = "loaded";
    scrollToBottom(true);
    emit("session-loaded", { session: view.session });
    if (session.active_stream_id) attach(session.active_stream_id);
    refreshQueue();
  }

  async function loadEarlier() {
    const v = view;
    if (!v || !v.hasMore || v.loadingEarlier) return;
    v.loadingEarlier = true;
    ui.earlier.hidden = false;
    try {
      const data = await api.get("/api/session", { session_id: v.id, msg_limit: PAGE, msg_before: v.firstIndex });
      if (view !== v) return;
      const s = data.session;
      const first = s.has_more ? s.msg_before : 0;
      const older = entriesFrom(s.messages || [], first).filter((e) => e.index < v.firstIndex);
      const before = ui.scroller.scrollHeight;
      const top = ui.scroller.scrollTop;
      v.messages = older.concat(v.messages);
      v.firstIndex = first;
      v.hasMore = Boolean(s.has_more);
      renderAll();
      ui.scroller.scrollTop = top + (ui.scroller.scrollHeight - before);
    } catch (err) {
      toastError(err);
    } finally {
      v.loadingEarlier = false;
      ui.earlier.hidden = true;
    }
    // A short first page on a tall screen: keep filling while the sentinel stays visible.
    if (view === v && v.hasMore && ui.scroller.scrollTop < 600) requestAnimationFrame(loadEarlier);
  }

  // ---- a running turn -----------------------------------------------------------------------------
  function setRunning(running) {
    ui.stop.hidden = !running;
    ui.send.setAttribute("aria-label", running ? "Queue message" : "Send");
    ui.send.title = running ? "Queue (runs after the current reply)" : "Send (Enter)";
    ui.status.textContent = running ? "Replying… Esc to stop. Messages you send now are queued." : "";
    ui.list.dataset.running = running ? "true" : "false";
  }

  function attach(streamId) {
    const v = view;
    const reply = new LiveReply({ onApproval: (approvalId, choice) => respondApproval(v, approvalId, choice) });
    v.live = { streamId, reply, baseUsage: { ...v.session } };
    ui.list.append(reply.el);
    ui.welcome.hidden = true;
    setRunning(true);
    scrollToBottom();
    v.follow = followStream(streamId, {
      onEvent: (name, data) => onTurnEvent(v, name, data),
      onState: (s) => {
        if (view !== v) return;
        const was = v.reconnecting;
        v.reconnecting = s === "reconnecting";
        if (was !== v.reconnecting) updateNotices();
        if (s === "closed" && v.live && v.live.streamId === streamId) endTurn(v);
      },
    });
    emit("session-updated", { session: { ...v.session, message_count: v.total, is_streaming: true, active_stream_id: streamId } });
  }

  function onTurnEvent(v, name, data) {
    if (view !== v || !v.live) return;
    const reply = v.live.reply;
    switch (name) {
      case "token": reply.token(data.text || ""); break;
      case "reasoning": reply.reasoningDelta(data.text || ""); break;
      case "tool": reply.tool(data); break;
      case "tool_complete":
        reply.toolComplete(data);
        emit("workspace-changed", { session_id: v.id });
        break;
      case "approval": reply.approval(data); break;
      case "metering": {
        const base = v.live.baseUsage;
        showUsage({ input_tokens: (base.input_tokens || 0) + (data.input_tokens || 0),
          output_tokens: (base.output_tokens || 0) + (data.output_tokens || 0),
          estimated_cost: (base.estimated_cost || 0) + (data.estimated_cost || 0) });
        break;
      }
      case "done":
        if (data.session) {
          v.session = { ...v.session, ...compact(data.session) };
          showUsage(v.session);
        }
        break;
      case "title":
        v.session.title = data.title;
        ui.title.textContent = data.title;
        document.title = `${data.title} · threadkeep`;
        emit("session-updated", { session: { ...v.session } });
        break;
      case "apperror": reply.error(data); break;
      case "cancel": reply.cancelled(); break;
      default: break;
    }
    requestScroll();
  }

  async function respondApproval(v, approvalId, choice) {
    try {
      await api.post("/api/approval/respond", { session_id: v.id, approval_id: approvalId, choice });
      return true;
    } catch (err) {
      toastError(err);
      return false;
    }
  }

  /** The turn ended (or its stream is gone): swap the live drawing for the stored messages. */
  async function endTurn(v) {
    if (!v.live) return;
    const { reply, streamId } = v.live;
    v.follow = null;
    reply.finish();
    try {
      const meta = (await api.get("/api/session", { session_id: v.id, messages: 0 })).session;
      const count = meta.message_count - v.turnStart;
      let fresh = [];
      if (count > 0) {
        const data = await api.get("/api/session", { session_id: v.id, msg_limit: count });
        const s = data.session;
        fresh = entriesFrom(s.messages || [], s.has_more ? s.msg_before : 0).filter((e) => e.index >= v.turnStart);
      }
      if (view !== v) return;
      v.messages = v.messages.filter((e) => e.index < v.turnStart).concat(fresh);
      v.total = meta.message_count;
      v.session = compact(meta);
      v.live = null;
      const errorOrStop = [...reply.body.querySelectorAll(".msg-error, .msg-note")];
      setRunning(false);
      renderAll();
      // Keep the inline error / stopped note of this turn under the stored messages.
      // (A stored error notice is drawn from the transcript now: keep no second copy.)
      const kept = errorOrStop.filter((n) => (!n.classList.contains("msg-note") || !fresh.some((e) => e.msg._partial))
        && (!n.classList.contains("msg-error") || !fresh.some((e) => e.msg._error)));
      if (kept.length) {
        const holder = h("article", { class: "msg msg-assistant msg-outcome", dataset: { role: "outcome" } },
          h("div", { class: "msg-avatar", "aria-hidden": "true" }, icon("logo", { size: 16 })),
          h("div", { class: "msg-main" }, h("div", { class: "msg-body" }, kept)));
        ui.list.append(holder);
      }
      showUsage(v.session);
      emit("session-updated", { session: { ...v.session } });
      scrollToBottom();
      if (meta.active_stream_id && meta.active_stream_id !== streamId) {
        trimRunningTurn(v);
        renderAll();
        attach(meta.active_stream_id);
      }
      refreshQueue();
    } catch (err) {
      if (view === v) {
        v.live = null;
        setRunning(false);
        toastError(err);
      }
    }
  }

  async function stopTurn() {
    const v = view;
    if (!v?.live) return;
    ui.stop.disabled = true;
    try {
      await api.post("/api/chat/cancel", { stream_id: v.live.streamId });
    } catch (err) {
      if (err.status !== 404) toastError(err);
    } finally {
      ui.stop.disabled = false;
    }
  }

  // ---- sending ------------------------------------------------------------------------------------
  async function ensureSession() {
    if (view) return view;
    await newChat();
    // newChat selected the session: wait until it is open.
    for (let i = 0; i < 100 && !view; i++) await new Promise((r) => setTimeout(r, 30));
    if (!view) throw new api.ApiError("Could not open the new chat");
    return view;
  }

  async function sendMessage(text, files = []) {
    let v;
    let attachments;
    try {
      v = await ensureSession();
      attachments = await uploadAttachments(v, files);
    } catch (err) {
      restoreDraft(text);
      if (files.length) ui.attach.restore(files);
      toastError(err);
      throw err;
    }
    // hermes' words when only files are sent (the server wants some text).
    if (!text.trim()) text = `I've uploaded ${attachments.length} file(s): ${attachments.join(", ")}`;
    const model = ui.modelSelect.value || undefined;
    if (v.live) return queueMessage(v, text, model, attachments);
    const bubble = renderMessage({ role: "user", content: text, attachments }, v.total, { ...ctxFor(v), isLast: false });
    bubble.classList.add("pending");
    ui.list.append(bubble);
    ui.welcome.hidden = true;
    scrollToBottom(true);
    let started;
    try {
      started = await api.post("/api/chat/start", { session_id: v.id, message: text, model, attachments });
    } catch (err) {
      bubble.remove();
      if (err.status === 409 && view === v) {
        // A turn started elsewhere (another tab): queue behind it and follow it.
        await queueMessage(v, text, model, attachments);
        if (err.body?.active_stream_id && !v.live && view === v) await openSession(v.id);
        return;
      }
      restoreDraft(text);
      toastError(err);
      throw err;
    }
    if (view !== v) return;
    bubble.remove();
    v.messages.push({ index: v.total, msg: { role: "user", content: text, attachments, timestamp: Date.now() / 1000 } });
    v.turnStart = v.total;
    v.total += 1;
    renderAll();
    attach(started.stream_id);
  }

  /** Upload the composer's files into the session's workspace; their names (none: undefined). */
  async function uploadAttachments(v, files) {
    if (!files.length) return undefined;
    ui.status.textContent = `Uploading ${files.length} file${files.length === 1 ? "" : "s"}…`;
    try {
      const names = await ui.attach.upload(v.id, files);
      emit("workspace-changed", { session_id: v.id });
      return names;
    } finally {
      ui.status.textContent = "";
    }
  }

  async function queueMessage(v, text, model, attachments) {
    try {
      await api.post("/api/chat/start", { session_id: v.id, message: text, model, attachments, queue: true });
      refreshQueue();
    } catch (err) {
      restoreDraft(text);
      toastError(err);
    }
  }

  async function refreshQueue() {
    const v = view;
    if (!v) return;
    let items = [];
    try {
      items = (await api.get("/api/chat/queue", { session_id: v.id })).queue || [];
    } catch {
      return;
    }
    if (view !== v) return;
    clear(ui.queue);
    ui.queue.hidden = items.length === 0;
    if (!items.length) return;
    ui.queue.append(h("div", { class: "queue-label" }, icon("clock", { size: 14 }), `Queued — runs after the current reply (${items.length})`));
    for (const item of items) {
      ui.queue.append(h("div", { class: "queue-item" },
        h("span", { class: "queue-text" }, item.message),
        h("button", { class: "icon-button", type: "button", "aria-label": "Remove queued message", title: "Remove from queue",
          onclick: async () => {
            try {
              await api.post("/api/chat/queue/clear", { session_id: v.id, queue_id: item.queue_id });
            } catch (err) {
              toastError(err);
            }
            refreshQueue();
          } }, icon("x", { size: 14 }))));
    }
  }

  // ---- retry, undo, edit, branch ---------------------------------------------------------------
  function busy() {
    if (view?.live) {
      toast("A reply is running — stop it first (Esc).");
      return true;
    }
    return !view;
  }

  async function retry() {
    if (busy()) return;
    const v = view;
    try {
      const r = await api.post("/api/session/retry", { session_id: v.id });
      v.total -= r.removed_count;
      v.messages = v.messages.filter((e) => e.index < v.total);
      renderAll();
      await sendMessage(r.last_user_text);
    } catch (err) {
      toastError(err);
    }
  }

  async function undo() {
    if (busy()) return;
    const v = view;
    try {
      const r = await api.post("/api/session/undo", { session_id: v.id });
      const cut = v.total - r.removed_count;
      const removedUser = v.messages.find((e) => e.index === cut && e.msg.role === "user");
      v.total = cut;
      v.messages = v.messages.filter((e) => e.index < cut);
      renderAll();
      if (removedUser) restoreDraft(contentText(removedUser.msg.content));
      v.session.message_count = v.total;
      emit("session-updated", { session: { ...v.session } });
      toast("Last turn removed; its message is back in the box.");
    } catch (err) {
      toastError(err);
    }
  }

  function startEdit(index, text, el) {
    if (busy()) return;
    const v = view;
    const area = h("textarea", { class: "edit-input", "aria-label": "Edit message", rows: "3" });
    area.value = text;
    const cancel = () => renderAll();
    const save = async () => {
      const newText = area.value;
      if (!newText.trim()) return;
      if (busy()) return;
      try {
        await api.post("/api/session/truncate", { session_id: v.id, keep_count: index });
        v.total = index;
        v.messages = v.messages.filter((e) => e.index < index);
        renderAll();
        await sendMessage(newText);
      } catch (err) {
        toastError(err);
      }
    };
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); save(); }
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); cancel(); }
    });
    const later = v.total - index - 1;
    el.replaceChildren(h("div", { class: "msg-edit" }, area,
      h("div", { class: "msg-edit-bar" },
        h("span", { class: "msg-edit-note" }, later > 0 ? `Sending replaces the ${later} message${later === 1 ? "" : "s"} after this one.` : ""),
        h("button", { class: "button small ghost", type: "button", onclick: cancel }, "Cancel"),
        h("button", { class: "button small primary", type: "button", onclick: save }, "Send"))));
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }

  async function branchAt(index) {
    if (!view) return;
    try {
      const { session } = await api.post("/api/session/branch", { session_id: view.id, keep_count: index + 1 });
      emit("session-created", { session });
      selectSession(session.session_id);
      toast(`Branched into “${session.title}”`);
    } catch (err) {
      toastError(err);
    }
  }

  // ---- bus ------------------------------------------------------------------------------------------
  on("session-selected", ({ id }) => {
    if (view && view.id === id) return;
    openSession(id);
    if (!window.matchMedia("(max-width: 760px)").matches) ui.input.focus();
  });
  on("session-updated", ({ session }) => {
    if (!view || !session || session.session_id !== view.id) return;
    if (session.title !== undefined && session.title !== view.session.title) {
      view.session.title = session.title;
      ui.title.textContent = session.title || "Untitled";
      document.title = `${session.title || "Untitled"} · threadkeep`;
    }
    for (const key of ["pinned", "archived", "project_id", "workspace"]) {
      if (key in session) view.session[key] = session[key];
    }
  });
  on("session-removed", ({ id }) => {
    if (view && view.id === id) selectSession(null);
  });
  on("stop", () => stopTurn());

  fillModels();
  showModel(state.models.default_model);
  ui.welcome.hidden = false;
  drawWelcome();
}
