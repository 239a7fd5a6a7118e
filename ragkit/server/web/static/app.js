// The ragkit web app: sign-in, the corpora sidebar, and one corpus at a time with three
// tabs (Ask, Documents, Sharing). Routes live in the URL hash: #/c/{corpus-id}/{tab}.

import { Api, ApiError } from "./api.js";
import { forgetHistories, renderChat } from "./chat.js";
import { announce, confirmDelete, h, hideError, plural, shortId, showError } from "./dom.js";
import { renderDocuments } from "./documents.js";
import { renderSharing } from "./sharing.js";

const TABS = [
  { id: "ask", label: "Ask", render: renderChat },
  { id: "documents", label: "Documents", render: renderDocuments },
  { id: "sharing", label: "Sharing", render: renderSharing },
];

const api = new Api();
const state = { info: null, me: null, corpora: [], stats: new Map(), rendered: null };
const $ = (id) => document.getElementById(id);

async function boot() {
  $("alert-close").addEventListener("click", hideError);
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("new-corpus").addEventListener("submit", createCorpus);
  $("refresh-corpora").addEventListener("click", async () => {
    await loadCorpora();
    announce(`${plural(state.corpora.length, "corpus", "corpora")} listed.`);
  });
  window.addEventListener("hashchange", () => route());
  // Files dropped anywhere on a corpus go to its drop zone (and never navigate the tab away).
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", dropAnywhere);
  try {
    state.info = await api.info();
  } catch (err) {
    showError(err);
    return;
  }
  $("server-info").textContent =
    `ragkit ${state.info.version} · embedder ${state.info.embedder} (${state.info.dimensions} dims)`;
  if (state.info.authRequired && !api.key) {
    showSignIn();
    return;
  }
  await enter();
}

function showSignIn(message = "") {
  $("app").hidden = true;
  $("account").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("api-key").value = "";
  $("api-key").focus();
}

async function signIn(event) {
  event.preventDefault();
  api.setKey($("api-key").value.trim());
  await enter();
}

function signOut() {
  api.setKey("");
  forgetHistories();
  state.corpora = [];
  state.stats.clear();
  state.rendered = null;
  $("content").replaceChildren();
  location.hash = "#/";
  if (state.info.authRequired) showSignIn();
}

async function enter() {
  try {
    state.me = await api.me();
  } catch (err) {
    if (err instanceof ApiError && err.httpStatus === 401) {
      api.setKey("");
      showSignIn(err.message);
      return;
    }
    showError(err);
    return;
  }
  $("signin").hidden = true;
  $("app").hidden = false;
  $("account").hidden = !state.info.authRequired;
  $("who").textContent = `Signed in as ${state.me.email}`;
  await loadCorpora();
  route({ focus: false });
}

async function loadCorpora() {
  try {
    state.corpora = await api.listAll("corpora", "corpora", 20);
    const stats = await Promise.all(state.corpora.map((c) => api.stats(c.name).catch(() => null)));
    state.stats = new Map(state.corpora.map((c, i) => [c.name, stats[i]]));
  } catch (err) {
    showError(err);
  }
  renderSidebar();
}

async function refreshStats(name) {
  try {
    state.stats.set(name, await api.stats(name));
  } catch (err) {
    showError(err);
  }
  renderSidebar();
  renderCorpusHeader();
}

function currentRoute() {
  const [, kind, id, tab] = location.hash.split("/");
  if (kind !== "c" || !id) return null;
  return { name: `corpora/${id}`, tab: TABS.some((t) => t.id === tab) ? tab : "ask" };
}

function describe(stats) {
  if (!stats) return "";
  return `${plural(stats.documentCount, "document")} · ${plural(stats.chunkCount, "chunk")}`;
}

function renderSidebar() {
  const list = $("corpus-list");
  const selected = currentRoute()?.name;
  list.replaceChildren();
  if (!state.corpora.length) {
    list.append(h("li", { class: "empty muted" }, "No corpora yet. Create one below."));
  }
  for (const corpus of state.corpora) {
    const stats = state.stats.get(corpus.name);
    list.append(
      h(
        "li",
        {},
        h(
          "a",
          {
            href: `#/c/${shortId(corpus.name)}/ask`,
            class: "corpus-link",
            "aria-current": corpus.name === selected ? "page" : false,
          },
          h("span", { class: "corpus-title" }, corpus.displayName || shortId(corpus.name)),
          h(
            "span",
            { class: "corpus-sub" },
            describe(stats),
            stats && stats.role !== "OWNER" ? h("span", { class: "badge" }, stats.role.toLowerCase()) : null,
          ),
        ),
      ),
    );
  }
}

function route({ focus = true } = {}) {
  renderSidebar();
  const target = currentRoute();
  const content = $("content");
  if (!target) {
    state.rendered = null;
    content.replaceChildren(welcome());
    return;
  }
  const corpus = state.corpora.find((c) => c.name === target.name);
  if (!corpus) {
    // Perhaps shared with us since the list was loaded: look again, once.
    if (state.lookedFor !== target.name) {
      state.lookedFor = target.name;
      loadCorpora().then(() => route({ focus: false }));
      return;
    }
    state.rendered = null;
    content.replaceChildren(
      h("div", { class: "empty-state" }, h("h1", {}, "Corpus not found"),
        h("p", { class: "muted" }, `${target.name} does not exist, or you have no access to it.`)),
    );
    return;
  }
  const sameCorpus = state.rendered?.name === corpus.name;
  if (!sameCorpus) {
    content.replaceChildren(corpusView(corpus));
  }
  selectTab(target.tab, corpus, focus && sameCorpus);
  state.rendered = { name: corpus.name, tab: target.tab };
  document.title = `${corpus.displayName} · ragkit`;
}

function welcome() {
  return h(
    "div",
    { class: "empty-state" },
    h("h1", {}, "Ask your documents"),
    h(
      "p",
      { class: "muted" },
      state.corpora.length
        ? "Choose a corpus on the left, or create a new one, then drop files onto the page."
        : "Create a corpus on the left, then drop text, Markdown, HTML or PDF files onto it.",
    ),
  );
}

function corpusView(corpus) {
  const id = shortId(corpus.name);
  const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "Corpus views" });
  for (const tab of TABS) {
    tablist.append(
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${tab.id}`,
          "aria-controls": "tabpanel",
          dataset: { tab: tab.id },
          onclick: () => {
            location.hash = `#/c/${id}/${tab.id}`;
          },
          onkeydown: (event) => moveTab(event, id),
        },
        tab.label,
      ),
    );
  }
  return h(
    "article",
    { class: "corpus", "aria-labelledby": "corpus-title" },
    h(
      "header",
      { class: "corpus-head" },
      h(
        "div",
        {},
        h("h1", { id: "corpus-title" }, corpus.displayName || id),
        h("p", { class: "muted", id: "corpus-facts" }),
      ),
      h("button", { type: "button", class: "button danger-outline", onclick: () => deleteCorpus(corpus) },
        "Delete corpus"),
    ),
    tablist,
    h("section", { class: "tabpanel", id: "tabpanel", role: "tabpanel", tabindex: "-1" }),
  );
}

function renderCorpusHeader() {
  const facts = $("corpus-facts");
  const target = currentRoute();
  if (!facts || !target) return;
  const stats = state.stats.get(target.name);
  facts.replaceChildren(
    h("code", {}, target.name),
    stats ? ` · ${describe(stats)} · your role: ${stats.role.toLowerCase()}` : "",
    ` · embedder ${state.info.embedder}`,
  );
}

function moveTab(event, id) {
  const index = TABS.findIndex((t) => t.id === event.currentTarget.dataset.tab);
  const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  const next = TABS[(moves[event.key] + TABS.length) % TABS.length];
  location.hash = `#/c/${id}/${next.id}`;
}

function selectTab(tabId, corpus, focusTab) {
  const panel = $("tabpanel");
  panel.setAttribute("aria-labelledby", `tab-${tabId}`);
  if (state.rendered?.name !== corpus.name || state.rendered?.tab !== tabId) {
    panel.replaceChildren();
    renderCorpusHeader();
    TABS.find((t) => t.id === tabId).render(panel, {
      api,
      corpus,
      me: state.me,
      info: state.info,
      stats: () => state.stats.get(corpus.name),
      refreshStats: () => refreshStats(corpus.name),
    });
  }
  // After rendering: moving between tabs with the keyboard keeps focus on the tab.
  for (const button of document.querySelectorAll("[role=tab]")) {
    const active = button.dataset.tab === tabId;
    button.setAttribute("aria-selected", String(active));
    button.tabIndex = active ? 0 : -1;
    if (active && focusTab) button.focus();
  }
}

function dropAnywhere(event) {
  event.preventDefault();
  const target = currentRoute();
  const files = [...(event.dataTransfer?.files || [])];
  if (!target || !files.length || event.target.closest?.("#dropzone")) return;
  location.hash = `#/c/${shortId(target.name)}/documents`;
  route({ focus: false });
  $("dropzone")?.dispatchEvent(new CustomEvent("files", { detail: files }));
}

async function createCorpus(event) {
  event.preventDefault();
  const input = $("new-corpus-name");
  const displayName = input.value.trim();
  if (!displayName) return;
  try {
    const corpus = await api.v1("POST", "corpora", { body: { displayName } });
    input.value = "";
    hideError();
    await loadCorpora();
    announce(`Created corpus ${corpus.displayName}.`);
    location.hash = `#/c/${shortId(corpus.name)}/documents`;
  } catch (err) {
    showError(err);
  }
}

async function deleteCorpus(corpus) {
  const stats = state.stats.get(corpus.name);
  const what = stats ? ` and its ${describe(stats)}` : "";
  const ok = await confirmDelete(
    `Delete “${corpus.displayName}”?`,
    `This deletes ${corpus.name}${what} for everyone it is shared with. It cannot be undone.`,
    "Delete corpus",
  );
  if (!ok) return;
  try {
    await api.v1("DELETE", corpus.name, { query: { force: "true" } });
    forgetHistories(corpus.name);
    hideError();
    announce(`Deleted corpus ${corpus.displayName}.`);
    state.rendered = null;
    location.hash = "#/";
    await loadCorpora();
  } catch (err) {
    showError(err);
  }
}

boot();
