// The Sharing tab: who may use the corpus. Owners (and writers) grant READER or WRITER to a
// user, a group or everyone, and revoke grants; the server enforces who may do what.

import { announce, confirmDelete, h, showError } from "./dom.js";

const ROLE_HELP = {
  READER: "can ask and browse",
  WRITER: "can also add, edit and share",
  OWNER: "can also delete the corpus",
};

export function renderSharing(panel, ctx) {
  const type = h("select", { id: "grantee-type", name: "granteeType", onchange: syncEmail },
    h("option", { value: "USER" }, "A person"),
    h("option", { value: "GROUP" }, "A group"),
    h("option", { value: "EVERYONE" }, "Everyone on this server"));
  const email = h("input", { id: "grantee-email", name: "emailAddress", type: "email", required: true,
    placeholder: "name@example.com", autocomplete: "off" });
  const role = h("select", { id: "grantee-role", name: "role" },
    h("option", { value: "READER" }, "Reader"),
    h("option", { value: "WRITER" }, "Writer"));
  const form = h(
    "form",
    { class: "share-form card", onsubmit: grant },
    h("h2", { class: "section-title" }, "Grant access"),
    h("div", { class: "grid3" },
      h("div", {}, h("label", { for: "grantee-type" }, "Who"), type),
      h("div", {}, h("label", { for: "grantee-email" }, "Email address"), email),
      h("div", {}, h("label", { for: "grantee-role" }, "Role"), role)),
    h("p", { class: "muted small" }, "Readers can ask and browse; writers can also add documents and share."),
    h("button", { type: "submit", class: "button primary" }, "Share"),
  );
  const table = h("table", { class: "table", id: "permissions" },
    h("caption", { class: "section-title" }, "People and groups with access"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Grantee"), h("th", { scope: "col" }, "Type"),
      h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
    h("tbody"));
  panel.append(form, table);
  load();

  function syncEmail() {
    const everyone = type.value === "EVERYONE";
    email.disabled = everyone;
    email.required = !everyone;
    if (everyone) {
      email.value = "";
      role.value = "READER";
    }
  }

  async function load() {
    try {
      const permissions = await ctx.api.listAll(`${ctx.corpus.name}/permissions`, "permissions", 100);
      const body = table.tBodies[0];
      body.replaceChildren();
      for (const permission of permissions) body.append(row(permission));
    } catch (err) {
      table.tBodies[0].replaceChildren(h("tr", {}, h("td", { colspan: "4", class: "muted" }, err.message)));
      showError(err);
    }
  }

  function row(permission) {
    const who = permission.granteeType === "EVERYONE" ? "Everyone" : permission.emailAddress;
    const you = permission.emailAddress && permission.emailAddress.toLowerCase() === ctx.me.email.toLowerCase();
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, who, you ? h("span", { class: "badge" }, "you") : null),
      h("td", {}, (permission.granteeType || "").toLowerCase()),
      h("td", {}, h("span", { title: ROLE_HELP[permission.role] || "" }, (permission.role || "").toLowerCase())),
      h("td", { class: "actions" },
        h("button", {
          type: "button",
          class: "button quiet small",
          "aria-label": `Revoke access of ${who}`,
          onclick: () => revoke(permission, who),
        }, "Revoke")),
    );
  }

  async function grant(event) {
    event.preventDefault();
    const body = { granteeType: type.value, role: role.value };
    if (type.value !== "EVERYONE") body.emailAddress = email.value.trim();
    try {
      await ctx.api.v1("POST", `${ctx.corpus.name}/permissions`, { body });
      const who = body.emailAddress || "everyone";
      announce(`${who} is now ${role.value.toLowerCase()}.`);
      type.value = "USER";
      role.value = "READER";
      syncEmail();
      email.value = "";
      await load();
    } catch (err) {
      showError(err);
    }
  }

  async function revoke(permission, who) {
    const ok = await confirmDelete(`Revoke access of ${who}?`,
      `${who} will no longer be able to use ${ctx.corpus.displayName}.`, "Revoke");
    if (!ok) return;
    try {
      await ctx.api.v1("DELETE", permission.name);
      announce(`Revoked access of ${who}.`);
      await load();
    } catch (err) {
      showError(err);
    }
  }
}
