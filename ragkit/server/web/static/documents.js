// The Documents tab: drop files to ingest them (the server loads, chunks and embeds them with
// ragkit's own ingestion), and browse documents and their chunks with metadata.

import { openPassage } from "./chat.js";
import {
  announce,
  citeOf,
  confirmDelete,
  formatBytes,
  formatTime,
  h,
  metadataList,
  metadataMap,
  plural,
  shortId,
  showError,
} from "./dom.js";

const DOCUMENTS_PAGE = 20;
const CHUNKS_PAGE = 25;

export function renderDocuments(panel, ctx) {
  const extensions = ctx.info.extensions.join(", ");
  // A real button opens the picker: a styled <label> would not be reachable by keyboard.
  const input = h("input", {
    type: "file",
    id: "file-input",
    hidden: true,
    tabindex: "-1",
    multiple: true,
    accept: ctx.info.extensions.join(","),
    onchange: () => {
      ingestAll([...input.files]);
      input.value = "";
    },
  });
  const zone = h(
    "div",
    { class: "dropzone", id: "dropzone", role: "group", "aria-labelledby": "dropzone-title" },
    h("p", { class: "dropzone-title", id: "dropzone-title" }, "Drop files here to add them"),
    h("p", { class: "muted small", id: "dropzone-hint" },
      `${extensions} · up to ${formatBytes(ctx.info.maxUploadBytes)} each`),
    input,
    h("button", { type: "button", class: "button", "aria-describedby": "dropzone-hint", onclick: () => input.click() },
      "Choose files…"),
  );
  const summary = h("p", { class: "upload-summary", id: "upload-summary", role: "status" });
  const uploads = h("ul", { class: "uploads", id: "uploads", "aria-label": "Uploads" });
  const docs = h("div", { class: "documents", id: "documents" });
  const chunks = h("section", { class: "chunks", id: "chunks", "aria-live": "polite" });
  panel.append(zone, summary, uploads, h("h2", { class: "section-title" }, "Documents"), docs, chunks);

  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    ingestAll([...(event.dataTransfer?.files || [])]);
  });
  // Files dropped elsewhere on the page arrive here (see app.js).
  zone.addEventListener("files", (event) => ingestAll(event.detail));

  let pageToken;
  loadDocuments(true);

  async function ingestAll(files) {
    if (!files.length) return;
    const rows = files.map((file) => uploadRow(file));
    uploads.prepend(...rows.map((r) => r.item));
    let added = 0;
    let failed = 0;
    for (const [i, file] of files.entries()) {
      const row = rows[i];
      summary.textContent = `Adding ${i + 1} of ${files.length}: ${file.name}`;
      try {
        const result = await ctx.api.upload(ctx.corpus.name, file, (fraction) => row.progress(fraction));
        row.done(result);
        added += 1;
      } catch (err) {
        row.fail(err);
        failed += 1;
      }
    }
    const message = `${plural(added, "file")} added${failed ? `, ${failed} failed` : ""}.`;
    summary.textContent = message;
    announce(message);
    ctx.refreshStats();
    loadDocuments(true);
  }

  async function loadDocuments(reset) {
    if (reset) {
      pageToken = undefined;
      docs.replaceChildren();
    }
    try {
      const page = await ctx.api.v1("GET", `${ctx.corpus.name}/documents`, {
        query: { pageSize: DOCUMENTS_PAGE, pageToken },
      });
      docs.querySelector(".more")?.remove();
      const list = docs.querySelector("table") || documentTable(docs);
      for (const doc of page.documents || []) list.tBodies[0].append(documentRow(doc));
      if (!list.tBodies[0].rows.length) {
        docs.replaceChildren(h("p", { class: "muted empty" }, "No documents yet. Drop files above to add some."));
      }
      pageToken = page.nextPageToken;
      if (pageToken) {
        docs.append(h("button", { type: "button", class: "button quiet more", onclick: () => loadDocuments(false) },
          "Show more documents"));
      }
    } catch (err) {
      showError(err);
    }
  }

  function documentRow(doc) {
    const meta = metadataMap(doc.customMetadata);
    const row = h(
      "tr",
      {},
      h("th", { scope: "row" },
        h("button", { type: "button", class: "link", onclick: () => showChunks(doc) }, doc.displayName || shortId(doc.name))),
      h("td", {}, meta.source || ""),
      h("td", {}, formatTime(doc.updateTime)),
      h("td", { class: "actions" },
        h("button", {
          type: "button",
          class: "button quiet small",
          "aria-label": `Delete document ${doc.displayName}`,
          onclick: () => deleteDocument(doc, row),
        }, "Delete")),
    );
    return row;
  }

  async function deleteDocument(doc, row) {
    const ok = await confirmDelete(`Delete “${doc.displayName}”?`,
      `Its chunks leave the corpus too; answers will no longer cite it.`, "Delete document");
    if (!ok) return;
    try {
      await ctx.api.v1("DELETE", doc.name, { query: { force: "true" } });
      row.remove();
      chunks.replaceChildren();
      announce(`Deleted ${doc.displayName}.`);
      ctx.refreshStats();
    } catch (err) {
      showError(err);
    }
  }

  async function showChunks(doc, token, list) {
    if (!list) {
      list = h("ol", { class: "chunk-list" });
      chunks.replaceChildren(
        h("h2", { class: "section-title", id: "chunks-title", tabindex: "-1" }, `Chunks of ${doc.displayName}`),
        h("details", { class: "doc-meta" }, h("summary", {}, "Document metadata"), metadataList(doc.customMetadata)),
        list,
      );
      chunks.querySelector("#chunks-title").focus();
    }
    try {
      const page = await ctx.api.v1("GET", `${doc.name}/chunks`, { query: { pageSize: CHUNKS_PAGE, pageToken: token } });
      chunks.querySelector(".more")?.remove();
      for (const chunk of page.chunks || []) list.append(chunkItem(chunk));
      if (page.nextPageToken) {
        chunks.append(h("button", {
          type: "button",
          class: "button quiet more",
          onclick: () => showChunks(doc, page.nextPageToken, list),
        }, "Show more chunks"));
      }
    } catch (err) {
      showError(err);
    }
  }
}

function documentTable(into) {
  const table = h(
    "table",
    { class: "table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Source"),
      h("th", { scope: "col" }, "Updated"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
    h("tbody"),
  );
  into.append(table);
  return table;
}

function chunkItem(chunk) {
  const meta = metadataMap(chunk.customMetadata);
  const text = chunk.data?.stringValue || "";
  return h(
    "li",
    { class: "chunk" },
    h("div", { class: "chunk-head" },
      h("span", { class: "chunk-where" }, citeOf(meta)),
      h("button", {
        type: "button",
        class: "button quiet small",
        "aria-haspopup": "dialog",
        onclick: () => openPassage({ chunk: chunk.name, text, metadata: chunk.customMetadata, quotes: [] }),
      }, "Open")),
    h("p", { class: "chunk-text" }, text.length > 360 ? `${text.slice(0, 360)}…` : text),
    h("details", {}, h("summary", {}, `Metadata · ${shortId(chunk.name)} · ${chunk.state === "STATE_ACTIVE" ? "active" : (chunk.state || "").toLowerCase()}`),
      metadataList(chunk.customMetadata)),
  );
}

function uploadRow(file) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `Progress of ${file.name}` });
  const status = h("span", { class: "upload-status" }, "Waiting");
  const item = h("li", { class: "upload", dataset: { state: "waiting" } },
    h("span", { class: "upload-name" }, file.name),
    h("span", { class: "muted small" }, formatBytes(file.size)),
    bar,
    status);
  return {
    item,
    progress(fraction) {
      bar.value = Math.round(fraction * 90);
      item.dataset.state = "uploading";
      status.textContent = fraction < 1 ? `Uploading ${Math.round(fraction * 100)}%` : "Indexing…";
    },
    done(result) {
      bar.value = 100;
      item.dataset.state = "done";
      const verb = { created: "Added", replaced: "Replaced", unchanged: "Unchanged" }[result.status] || "Added";
      const warn = result.warnings?.length ? ` (${result.warnings.join("; ")})` : "";
      status.textContent = `${verb} · ${plural(result.chunkCount, "chunk")}${warn}`;
    },
    fail(err) {
      bar.value = 100;
      item.dataset.state = "failed";
      status.textContent = `Failed: ${err.message}`;
    },
  };
}
