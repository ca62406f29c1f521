// "Tài liệu" (F4): the documents in a file, and the reviewer's fixes to them. Each page belongs
// to one document; a ticked page starts a new document (split), an unticked one continues the
// one before (merge); each document has its kind. Saved with PUT …/components/{id}/parts, after
// which the server reads the fields again (values a reviewer set are kept). "Xoay" turns a page
// a quarter clockwise and has it read again: the dossier is shown as being read until it is back.

import { post, put } from "./api.js";
import { KIND_LABELS, el } from "./format.js";
import { documentsOf } from "./review-fields.js";

const $ = (id) => document.getElementById(id);

let hooks = null;
let component = null;

export function setupDocuments(given) {
  hooks = given;
  $("doc-file").addEventListener("change", () => showFile(Number($("doc-file").value)));
  $("doc-cancel").addEventListener("click", () => $("doc-dialog").close());
  $("doc-dialog").addEventListener("close", () => hooks.closed());
  $("doc-save").addEventListener("click", save);
  $("doc-pages").addEventListener("change", ticked);
  $("doc-pages").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-rotate]");
    if (button) rotate(Number(button.dataset.rotate));
  });
}

function components() {
  const data = hooks.dossier();
  return data ? [...data.components].sort((a, b) => a.position - b.position) : [];
}

/** Open the dialog on a file (the selected field's, else the first). */
export function openDocuments(componentId) {
  const files = components();
  if (!files.length) return;
  $("doc-file").replaceChildren(
    ...files.map((c, i) =>
      el("option", { value: String(c.id), text: `Tệp ${i + 1}: ${c.filename || c.original_filename} (${c.page_count} trang)` }),
    ),
  );
  const chosen = files.find((c) => c.id === componentId) || files[0];
  $("doc-file").value = String(chosen.id);
  showFile(chosen.id);
  $("doc-dialog").showModal();
  $("doc-file").focus();
}

function kindSelect(page, kind, enabled) {
  return el(
    "select",
    { id: `doc-kind-${page}`, "aria-label": `Loại giấy tờ của tài liệu bắt đầu từ trang ${page + 1}`, disabled: !enabled },
    ...Object.entries(KIND_LABELS).map(([value, label]) => el("option", { value, text: label, selected: value === kind })),
  );
}

function showFile(componentId) {
  component = components().find((c) => c.id === componentId);
  $("doc-error").textContent = "";
  const owner = [];
  documentsOf(component).forEach((doc, index) => doc.pages.forEach((page) => (owner[page] = { index, kind: doc.kind })));
  const base = `/api/v1/review/dossiers/${encodeURIComponent(hooks.ref())}/components/${component.id}/pages`;
  const rows = [];
  for (let page = 0; page < component.page_count; page += 1) {
    const mine = owner[page] || { index: -1, kind: "other" };
    const starts = page === 0 || !owner[page - 1] || owner[page - 1].index !== mine.index;
    rows.push(
      el(
        "tr",
        { "data-page": String(page) },
        el("th", { scope: "row", text: `Trang ${page + 1}` }),
        el("td", {}, el("img", { class: "doc-thumb", src: `${base}/${page}/image?r=${component.rotation || 0}`, alt: `Ảnh trang ${page + 1}`, loading: "lazy" })),
        el(
          "td",
          {},
          el("input", {
            type: "checkbox",
            id: `doc-start-${page}`,
            "aria-label": `Tài liệu mới bắt đầu từ trang ${page + 1}`,
            checked: starts,
            disabled: page === 0,
          }),
        ),
        el("td", {}, kindSelect(page, mine.kind, starts)),
        el("td", {}, el("button", { type: "button", "data-rotate": String(page), text: "Xoay ↻ 90°", "aria-label": `Xoay trang ${page + 1} một phần tư vòng theo chiều kim đồng hồ` })),
      ),
    );
  }
  $("doc-pages").replaceChildren(...rows);
}

function ticked(event) {
  const box = event.target.closest("input[type=checkbox]");
  if (!box) return;
  const page = Number(box.closest("tr").dataset.page);
  $(`doc-kind-${page}`).disabled = !box.checked;
}

/** The parts as the dialog shows them: runs of pages, each from a ticked page. */
function partsShown() {
  const parts = [];
  for (let page = 0; page < component.page_count; page += 1) {
    if (page === 0 || $(`doc-start-${page}`).checked) parts.push({ kind: $(`doc-kind-${page}`).value, pages: [] });
    parts[parts.length - 1].pages.push(page);
  }
  return parts;
}

async function save() {
  const parts = partsShown();
  const before = documentsOf(component).map((d) => ({ kind: d.kind, pages: d.pages }));
  if (JSON.stringify(parts) === JSON.stringify(before)) {
    $("doc-dialog").close();
    return;
  }
  const button = $("doc-save");
  button.disabled = true;
  $("doc-error").textContent = "Đang lưu và đọc lại các trường…";
  try {
    const data = await put(`review/dossiers/${encodeURIComponent(hooks.ref())}/components/${component.id}/parts`, { parts });
    $("doc-dialog").close();
    hooks.changed(data);
  } catch (error) {
    if (error.status === 401) return;
    $("doc-error").textContent = error.message;
    if (error.code === "DOSSIER_CLAIMED") hooks.failed(error);
  } finally {
    button.disabled = false;
  }
}

async function rotate(page) {
  try {
    const dossier = await post(
      `review/dossiers/${encodeURIComponent(hooks.ref())}/components/${component.id}/pages/${page}/rotate`,
      { degrees: 90 },
    );
    $("doc-dialog").close();
    hooks.reread(dossier);
  } catch (error) {
    if (error.status === 401) return;
    $("doc-error").textContent = error.message;
  }
}
