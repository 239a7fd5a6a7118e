// The Ask tab: a chat over one corpus. Each question goes to models/aqa:generateAnswer with a
// semanticRetriever on the corpus and the earlier turns as context; the answer shows numbered
// citations, each opening the cited passage with the quoted text highlighted.

import { announce, citeOf, h, highlight, metadataList, metadataMap, pagesOf, showError } from "./dom.js";

// Earlier turns sent as context: the last few, within about 3,000 tokens, well inside what
// models/aqa reads (7,168 tokens for the whole conversation).
const HISTORY_TURNS = 6;
const HISTORY_CHARS = 12_000;
const STYLES = [
  ["VERBOSE", "Detailed"],
  ["ABSTRACTIVE", "Concise"],
  ["EXTRACTIVE", "Quote only"],
];

const HISTORY_PREFIX = "ragkit.chat.";

function storageKey(ctx) {
  return `${HISTORY_PREFIX}${ctx.me.email}.${ctx.corpus.name}`;
}

/** Forget the chats kept in this browser: all of them (on sign-out: answers quote the
 * documents), or those about one corpus (when it is deleted). */
export function forgetHistories(corpus = null) {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(HISTORY_PREFIX) && (!corpus || key.endsWith(`.${corpus}`))) {
      localStorage.removeItem(key);
    }
  }
}

function loadHistory(ctx) {
  try {
    return JSON.parse(localStorage.getItem(storageKey(ctx)) || "[]");
  } catch {
    return [];
  }
}

function saveHistory(ctx, turns) {
  const done = turns.filter((t) => !t.pending);
  localStorage.setItem(storageKey(ctx), JSON.stringify(done.slice(-50)));
}

export function renderChat(panel, ctx) {
  const turns = loadHistory(ctx);
  const log = h("ol", { class: "chat-log", role: "log", "aria-label": "Conversation", "aria-live": "polite" });
  const question = h("textarea", {
    id: "question",
    name: "question",
    rows: "2",
    required: true,
    placeholder: "Ask something the documents can answer…",
    "aria-describedby": "question-hint",
  });
  const style = h("select", { id: "answer-style", name: "answerStyle" },
    STYLES.map(([value, label]) => h("option", { value }, label)));
  const submit = h("button", { type: "submit", class: "button primary" }, "Ask");
  const form = h(
    "form",
    { class: "ask-form", onsubmit: (event) => ask(event) },
    h("label", { for: "question" }, `Ask ${ctx.corpus.displayName}`),
    question,
    h(
      "div",
      { class: "ask-actions" },
      h("p", { class: "muted small", id: "question-hint" }, "Enter to send, Shift+Enter for a new line."),
      h("label", { for: "answer-style", class: "inline-label" }, "Answer", style),
      h("button", { type: "button", class: "button quiet", onclick: clearHistory }, "Clear chat"),
      submit,
    ),
  );
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  panel.append(h("div", { class: "chat" }, log, form));
  draw();
  question.focus();

  function draw() {
    log.replaceChildren();
    if (!turns.length) {
      log.append(h("li", { class: "chat-empty muted" },
        "Answers come only from this corpus's documents, with numbered sources you can open."));
    }
    turns.forEach((turn) => log.append(...turnView(turn, ctx)));
    log.lastElementChild?.scrollIntoView({ block: "end" });
  }

  function clearHistory() {
    turns.length = 0;
    saveHistory(ctx, turns);
    draw();
    announce("Chat cleared.");
    question.focus();
  }

  async function ask(event) {
    event.preventDefault();
    const text = question.value.trim();
    if (!text) return;
    const turn = { question: text, pending: true };
    const context = recentContext(turns);
    if (!turns.length) log.replaceChildren();
    turns.push(turn);
    question.value = "";
    submit.disabled = true;
    // Append (never redraw) so that screen readers hear only the new entries of the log.
    const [asked, pending] = turnView(turn, ctx);
    log.append(asked, pending);
    pending.scrollIntoView({ block: "end" });
    try {
      const response = await ctx.api.v1("POST", "models/aqa:generateAnswer", {
        body: {
          contents: [
            ...context.flatMap((t) => [
              { role: "user", parts: [{ text: t.question }] },
              { role: "model", parts: [{ text: t.answer.text || "" }] },
            ]),
            { role: "user", parts: [{ text }] },
          ],
          answerStyle: style.value,
          semanticRetriever: { source: ctx.corpus.name, query: { parts: [{ text }] } },
        },
      });
      turn.answer = await describeAnswer(ctx, response);
      announce(turn.answer.text ? "Answer ready." : "No answer found in this corpus.");
    } catch (err) {
      turn.error = err.message;
      showError(err);
    }
    turn.pending = false;
    saveHistory(ctx, turns);
    submit.disabled = false;
    const answered = turnView(turn, ctx)[1];
    pending.replaceWith(answered);
    answered.scrollIntoView({ block: "end" });
    question.focus();
  }
}

function recentContext(turns) {
  const context = [];
  let chars = 0;
  for (const turn of turns.filter((t) => t.answer).slice(-HISTORY_TURNS).reverse()) {
    chars += turn.question.length + (turn.answer.text || "").length;
    if (chars > HISTORY_CHARS) break;
    context.unshift(turn);
  }
  return context;
}

/** The answer text, its attributed spans and the cited chunks (fetched for file/page/section). */
async function describeAnswer(ctx, response) {
  const candidate = response.answer || {};
  const text = (candidate.content?.parts || []).map((p) => p.text || "").join("");
  const spans = (candidate.groundingAttributions || []).map((a) => ({
    chunk: a.sourceId?.semanticRetrieverChunk?.chunk || "",
    quote: (a.content?.parts || []).map((p) => p.text || "").join(""),
  }));
  const names = [...new Set(spans.map((s) => s.chunk).filter(Boolean))];
  const chunks = await Promise.all(names.map((name) => ctx.api.v1("GET", name).catch(() => ({ name }))));
  const sources = chunks.map((chunk) => ({
    chunk: chunk.name,
    text: chunk.data?.stringValue || "",
    metadata: chunk.customMetadata || [],
    quotes: spans.filter((s) => s.chunk === chunk.name).map((s) => s.quote),
  }));
  return { text, spans, sources, probability: response.answerableProbability ?? null };
}

function turnView(turn, ctx) {
  const items = [h("li", { class: "msg user" }, h("span", { class: "visually-hidden" }, "You asked: "), turn.question)];
  if (turn.pending) {
    items.push(h("li", { class: "msg bot pending", "aria-busy": "true" }, "Searching the documents…"));
  } else if (turn.error) {
    items.push(h("li", { class: "msg bot failed" }, `Could not answer: ${turn.error}`));
  } else if (turn.answer) {
    items.push(answerView(turn.answer, ctx));
  }
  return items;
}

function answerView(answer, ctx) {
  const item = h("li", { class: "msg bot" }, h("span", { class: "visually-hidden" }, "Answer: "));
  if (!answer.text) {
    item.append(h("p", { class: "muted" }, "The documents do not seem to answer this. Try other words, or add documents."));
    return item;
  }
  const number = new Map(answer.sources.map((s, i) => [s.chunk, i + 1]));
  const body = h("p", { class: "answer-text" });
  // Quotes keep their source's line wrapping; only blank lines separate paragraphs here.
  const flow = (text) => text.replace(/([^\n])\n(?=[^\n])/g, "$1 ");
  let cursor = 0;
  for (const span of answer.spans) {
    const at = span.quote ? answer.text.indexOf(span.quote, cursor) : -1;
    if (at === -1 || !number.has(span.chunk)) continue;
    body.append(flow(answer.text.slice(cursor, at + span.quote.length)));
    const n = number.get(span.chunk);
    body.append(citeButton(answer.sources[n - 1], n, ctx, "inline"));
    cursor = at + span.quote.length;
  }
  body.append(flow(answer.text.slice(cursor)));
  item.append(body);
  if (answer.sources.length) {
    const list = h("ol", { class: "sources", "aria-label": "Sources" });
    answer.sources.forEach((source, i) => {
      const meta = metadataMap(source.metadata);
      list.append(h("li", {}, citeButton(source, i + 1, ctx, "full", citeOf(meta))));
    });
    item.append(h("p", { class: "sources-title" }, "Sources"), list);
  }
  if (answer.probability !== null) {
    const pct = Math.round(answer.probability * 100);
    item.append(h("p", { class: "muted small" }, `Answerable probability ${pct}%`));
  }
  return item;
}

function citeButton(source, n, ctx, kind, label) {
  const meta = metadataMap(source.metadata);
  const where = citeOf(meta);
  return h(
    "button",
    {
      type: "button",
      class: kind === "inline" ? "cite" : "source-link",
      "aria-label": `Source ${n}: ${where}`,
      "aria-haspopup": "dialog",
      onclick: () => openPassage(source, n),
    },
    kind === "inline" ? `[${n}]` : h("span", {}, h("span", { class: "source-n" }, `${n}`), label),
  );
}

/** Open the passage dialog on ``source``, quoted text highlighted and scrolled into view. */
export function openPassage(source, n) {
  const meta = metadataMap(source.metadata);
  const pages = pagesOf(meta);
  document.getElementById("passage-title").textContent =
    `${n ? `[${n}] ` : ""}${meta.source || meta.title || source.chunk}`;
  document.getElementById("passage-where").textContent =
    [...new Set([pages, meta.section, meta.title].filter(Boolean))].join(" · ") || source.chunk;
  const text = document.getElementById("passage-text");
  text.replaceChildren();
  const first = highlight(text, source.text || "(the passage is no longer available)", source.quotes || []);
  metadataList(source.metadata, document.getElementById("passage-meta"));
  const dialog = document.getElementById("passage-dialog");
  if (!dialog.dataset.wired) {
    dialog.dataset.wired = "1";
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
  }
  dialog.showModal();
  first?.scrollIntoView({ block: "center" });
}
