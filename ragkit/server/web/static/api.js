// The server's REST API, as the app uses it: Google's /v1beta plus ragkit's /ragkit/api.
// Every call sends the API key as x-goog-api-key; failures become ApiError with Google's
// {"error": {code, message, status}} fields.

const KEY_STORAGE = "ragkit.apiKey";

export class ApiError extends Error {
  constructor(httpStatus, status, message) {
    super(message);
    this.httpStatus = httpStatus;
    this.status = status;
  }
}

export class Api {
  constructor() {
    this.key = sessionStorage.getItem(KEY_STORAGE) || "";
  }

  setKey(key) {
    this.key = key;
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  }

  headers(extra = {}) {
    return this.key ? { ...extra, "x-goog-api-key": this.key } : extra;
  }

  async request(method, path, { body, query } = {}) {
    const url = new URL(path, location.origin);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, "UNAVAILABLE", "The server cannot be reached. Is ragkit still running?");
    }
    return parseResponse(response.status, response.statusText, await response.text());
  }

  v1(method, name, options) {
    return this.request(method, `/v1beta/${name}`, options);
  }

  /** Every item of a paged list (``field`` of each page), following nextPageToken. */
  async listAll(name, field, pageSize) {
    const items = [];
    let pageToken;
    do {
      const page = await this.v1("GET", name, { query: { pageSize, pageToken } });
      items.push(...(page[field] || []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return items;
  }

  info() {
    return this.request("GET", "/ragkit/api/info");
  }

  me() {
    return this.request("GET", "/ragkit/api/me");
  }

  stats(corpus) {
    return this.request("GET", `/ragkit/api/${corpus}/stats`);
  }

  /** Upload ``file`` for server-side ingestion; ``onProgress(fraction)`` while bytes go up. */
  upload(corpus, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const url = `/ragkit/api/${corpus}/files?filename=${encodeURIComponent(file.name)}`;
      xhr.open("POST", url);
      for (const [name, value] of Object.entries(this.headers())) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader("content-type", "application/octet-stream");
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.upload.onload = () => onProgress(1);
      xhr.onload = () => {
        try {
          resolve(parseResponse(xhr.status, xhr.statusText, xhr.responseText));
        } catch (err) {
          reject(err);
        }
      };
      xhr.onerror = () => reject(new ApiError(0, "UNAVAILABLE", "The upload was interrupted."));
      xhr.send(file);
    });
  }
}

function parseResponse(httpStatus, statusText, text) {
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = {};
  }
  if (httpStatus >= 200 && httpStatus < 300) return data;
  const error = data.error || {};
  throw new ApiError(
    httpStatus,
    error.status || `HTTP_${httpStatus}`,
    error.message || statusText || `Request failed with HTTP ${httpStatus}.`,
  );
}
