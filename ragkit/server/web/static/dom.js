// Small DOM helpers shared by the views: element building, announcements, errors, dialogs.

/** Build an element: h("button", {class: "x", onclick: f}, "Label"). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Say ``message`` to screen readers (polite). */
export function announce(message) {
  const region = document.getElementById("announcer");
  region.textContent = "";
  // A fresh text node after a tick makes repeated messages heard again.
  setTimeout(() => {
    region.textContent = message;
  }, 30);
}

/** Show an error in the page's alert bar (role=alert, so it is read at once). */
export function showError(err) {
  const alert = document.getElementById("alert");
  document.getElementById("alert-text").textContent = err.message || String(err);
  alert.dataset.status = err.status || "";
  alert.hidden = false;
}

export function hideError() {
  document.getElementById("alert").hidden = true;
}

export function plural(count, one, many = `${one}s`) {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function formatTime(stamp) {
  if (!stamp) return "";
  const date = new Date(stamp);
  return Number.isNaN(date.getTime()) ? stamp : date.toLocaleString();
}

/** The last segment of a resource name: corpora/a/documents/b -> b. */
export function shortId(name) {
  return (name || "").split("/").pop();
}

/** ``customMetadata`` as plain {key: value}. */
export function metadataMap(entries) {
  const map = {};
  for (const entry of entries || []) {
    if (entry.stringValue !== undefined) map[entry.key] = entry.stringValue;
    else if (entry.numericValue !== undefined) map[entry.key] = entry.numericValue;
    else if (entry.stringListValue) map[entry.key] = (entry.stringListValue.values || []).join(", ");
    else map[entry.key] = "";
  }
  return map;
}

/** A <dl> of metadata entries. */
export function metadataList(entries, into = h("dl", { class: "meta" })) {
  into.replaceChildren();
  const map = metadataMap(entries);
  for (const [key, value] of Object.entries(map)) {
    into.append(h("dt", {}, key), h("dd", {}, String(value)));
  }
  if (!Object.keys(map).length) into.append(h("dd", { class: "muted" }, "No metadata"));
  return into;
}

/** "p. 4" or "pp. 4–5" for a chunk from a PDF, else "". */
export function pagesOf(meta) {
  if (meta.page_start === undefined) return "";
  const start = Number(meta.page_start);
  const end = meta.page_end !== undefined ? Number(meta.page_end) : start;
  return end !== start ? `pp. ${start}–${end}` : `p. ${start}`;
}

/** "file, p. 4, Section > Sub" from a chunk's metadata, as ragkit.provenance cites it. */
export function citeOf(meta, fallback = "unknown source") {
  return [meta.source || meta.title || fallback, pagesOf(meta), meta.section].filter(Boolean).join(", ");
}

/** Ask to confirm a destructive action in a modal dialog; resolves true on "Delete". */
export function confirmDelete(title, text, label = "Delete") {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = label;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

/** Append ``text`` to ``into`` with every occurrence of each quote wrapped in <mark>. */
export function highlight(into, text, quotes) {
  const ranges = [];
  for (const quote of quotes) {
    const needle = (quote || "").trim();
    if (!needle) continue;
    let at = text.indexOf(needle);
    while (at !== -1) {
      ranges.push([at, at + needle.length]);
      at = text.indexOf(needle, at + needle.length);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  let first = null;
  for (const [start, end] of ranges) {
    if (start < cursor) continue;
    into.append(text.slice(cursor, start));
    const mark = h("mark", {}, text.slice(start, end));
    first = first || mark;
    into.append(mark);
    cursor = end;
  }
  into.append(text.slice(cursor));
  return first;
}
