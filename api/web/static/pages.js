// Step 3: the dossier's pages. Files come by drag-and-drop or the file picker (uploaded one at a
// time, in order) and from the scan station (seen by polling); each file is a card with its
// pages' thumbnails, numbers, likely kind and quality warnings. On a focused card: Delete,
// R (rotate), Alt+←/→ (move), ←/→ (next card); its kind can be set in the select.

import { API, del, newKey, patch, post, put } from "./api.js";
import { KIND_LABELS, el, kindLabel } from "./format.js";

const panel = document.getElementById("pages-panel");
const drop = document.getElementById("drop");
const dropText = document.getElementById("drop-text");
const pick = document.getElementById("pick");
const picker = document.getElementById("files");
const status = document.getElementById("upload-status");
const list = document.getElementById("thumbs");

const cards = new Map(); // component id -> <li>
const announced = new Set(); // warnings and pages already announced
let components = [];
let ref = null;
let documents = []; // the procedure's required documents (the clerk may say a file is one)
let chain = Promise.resolve();
let hooks = {
  ensureDraft: async () => null,
  changed() {},
  mutating() {},
  failed() {},
  announce() {},
  qrFound() {},
};

export function setupPages(given) {
  hooks = { ...hooks, ...given };
  pick.addEventListener("click", async () => {
    if (await hooks.ensureDraft()) picker.click();
  });
  picker.addEventListener("change", () => {
    const files = Array.from(picker.files);
    picker.value = "";
    queueUpload(files);
  });
  for (const name of ["dragenter", "dragover"]) {
    panel.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  panel.addEventListener("dragleave", (event) => {
    if (!panel.contains(event.relatedTarget)) drop.classList.remove("over");
  });
  panel.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    queueUpload(Array.from((event.dataTransfer && event.dataTransfer.files) || []));
  });
  // A file dropped anywhere else must not replace the screen (and the clerk's typing).
  for (const name of ["dragover", "drop"]) window.addEventListener(name, (event) => event.preventDefault());
  list.addEventListener("keydown", cardKeys);
}

/** The draft whose pages are shown (null: none). */
export function setDraft(draftRef, required = []) {
  ref = draftRef;
  documents = required;
  if (!ref) {
    components = [];
    cards.clear();
    list.replaceChildren();
    status.textContent = "";
  }
  dropText.textContent = ref
    ? "Kéo thả tệp vào đây (nhiều tệp một lần), hoặc"
    : "Chọn thủ tục và người nộp, rồi bấm “Bắt đầu nhận giấy tờ”.";
  drop.classList.toggle("ready", Boolean(ref));
}

export function focusPages() {
  pick.focus();
}

export function pageCount() {
  return components.reduce((sum, c) => sum + (c.page_count || 0), 0);
}

export function warningCount() {
  return components.reduce((sum, c) => sum + (c.quality || []).length, 0);
}

export function uploading() {
  return status.dataset.busy === "1";
}

export function queueUpload(files) {
  if (!files.length) return chain;
  chain = chain.then(() => upload(files));
  return chain;
}

async function upload(files) {
  const draftRef = await hooks.ensureDraft();
  if (!draftRef) return;
  status.dataset.busy = "1";
  hooks.mutating(true);
  let done = 0;
  try {
    for (const [i, file] of files.entries()) {
      status.textContent = `Đang tải lên ${i + 1}/${files.length}: ${file.name}`;
      const form = new FormData();
      form.append("file", file, file.name);
      try {
        const component = await post(`dossiers/${encodeURIComponent(draftRef)}/files`, form, {
          headers: { "Idempotency-Key": newKey() },
        });
        done += 1;
        merge(component);
        if (component.qr_applicant) hooks.qrFound(component);
      } catch (error) {
        hooks.failed(error, `Tệp “${file.name}”: `);
        if (error.status === 401) break;
      }
    }
  } finally {
    status.dataset.busy = "0";
    status.textContent = done ? `Đã tải lên ${done}/${files.length} tệp.` : "";
    hooks.mutating(false);
    hooks.changed();
  }
}

function merge(component) {
  const others = components.filter((c) => c.id !== component.id);
  render([...others, component]);
}

/** Show the dossier's files (from an upload, an action or the poll), without reloading what is unchanged. */
export function render(given) {
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".page-card");
  const focusedId = focused ? focused.dataset.id : null;
  const focusedPart = focused && document.activeElement !== focused ? document.activeElement.dataset.part : null;
  components = [...given].sort((a, b) => a.position - b.position || a.id - b.id);
  let number = 1;
  const keep = new Set();
  components.forEach((component, at) => {
    const pages = pagesOf(component, number);
    number += component.page_count || pages.length;
    const key = JSON.stringify([
      component.rotation,
      component.declared_kind,
      component.declared_document,
      pages,
      component.quality,
      at,
    ]);
    let card = cards.get(component.id);
    if (!card || card.dataset.key !== key) {
      const fresh = buildCard(component, pages, at);
      fresh.dataset.key = key;
      if (card) card.replaceWith(fresh);
      card = fresh;
      cards.set(component.id, card);
    }
    keep.add(String(component.id));
    if (list.children[at] !== card) list.insertBefore(card, list.children[at] || null);
    announceNew(component, pages);
  });
  for (const [id, card] of cards) {
    if (!keep.has(String(id))) {
      card.remove();
      cards.delete(id);
    }
  }
  if (focusedId && cards.has(Number(focusedId))) {
    const card = cards.get(Number(focusedId));
    const part = focusedPart && card.querySelector(`[data-part="${focusedPart}"]`);
    if (document.activeElement !== (part || card)) (part || card).focus();
  }
}

function pagesOf(component, firstNumber) {
  const checks = component.page_checks || component.pages || [];
  const count = component.page_count || checks.length || 1;
  return Array.from({ length: count }, (_, index) => {
    const check = checks.find((c) => c.index === index) || {};
    return {
      index,
      number: check.number || firstNumber + index,
      kind: check.likely_kind || null,
      label: check.likely_kind_label || null,
      codes: check.codes || [],
      checked: Boolean(check.likely_kind || check.codes),
    };
  });
}

function title(pages) {
  const first = pages[0].number;
  const last = pages[pages.length - 1].number;
  return pages.length > 1 ? `Trang ${first}–${last}` : `Trang ${first}`;
}

function buildCard(component, pages, at) {
  const name = title(pages);
  const warnings = component.quality || [];
  const kind = component.declared_document
    ? component.declared_document
    : component.declared_kind
      ? kindLabel(component.declared_kind)
      : kindLabel(pages[0].kind, pages[0].label);
  const checked = pages.some((p) => p.checked);
  const summary = warnings.length
    ? `${warnings.length} cảnh báo: ${warnings.map((w) => w.message).join("; ")}`
    : checked
      ? "Không có cảnh báo"
      : "Đang kiểm tra";
  const card = el("li", {
    class: `page-card${warnings.length ? " warn" : ""}`,
    tabindex: "0",
    "data-id": String(component.id),
    "aria-label": `${name}, ${kind}. ${summary}. Tệp ${component.original_filename || component.filename}.`,
  });
  const shown = pages.slice(0, 3);
  const images = el(
    "div",
    { class: `card-imgs n${shown.length}` },
    ...shown.map((page) =>
      el(
        "figure",
        { class: page.codes.length ? "page warn" : "page" },
        el("img", {
          src: `${API}/dossiers/${encodeURIComponent(ref)}/files/${component.id}/pages/${page.index}/thumbnail?r=${component.rotation || 0}`,
          alt: `Ảnh thu nhỏ trang ${page.number}`,
          loading: "lazy",
          draggable: "false",
        }),
        el("figcaption", { text: String(page.number) }),
      ),
    ),
    pages.length > shown.length ? el("span", { class: "more", text: `+${pages.length - shown.length} trang` }) : null,
  );
  const select = el(
    "select",
    {
      "data-part": "kind",
      "aria-label": `Giấy tờ của ${name.toLowerCase()}`,
      onchange: () => setKind(component, select.value),
    },
    el("option", { value: "", text: `Tự nhận: ${kindLabel(pages[0].kind, pages[0].label)}` }),
    documents.length
      ? el(
          "optgroup",
          { label: "Thành phần hồ sơ" },
          ...documents.map((d) => el("option", { value: `doc:${d.name}`, text: d.name })),
        )
      : null,
    el(
      "optgroup",
      { label: "Loại giấy tờ" },
      ...Object.entries(KIND_LABELS).map(([value, label]) => el("option", { value: `kind:${value}`, text: label })),
    ),
  );
  select.value = component.declared_document
    ? `doc:${component.declared_document}`
    : component.declared_kind
      ? `kind:${component.declared_kind}`
      : "";
  const button = (part, text, label, action, extra = "") =>
    el("button", { type: "button", class: `tool ${extra}`, "data-part": part, "aria-label": label, title: label, onclick: action }, text);
  card.append(
    el("div", { class: "card-head" }, el("strong", { text: name }), el("span", { class: "kind", text: kind })),
    images,
    warnings.length
      ? el(
          "ul",
          { class: "warnings" },
          ...warnings.map((w) =>
            el("li", { class: "warning", "data-code": w.code }, el("span", { class: "icon", "aria-hidden": "true", text: "⚠" }), w.message),
          ),
        )
      : el("p", { class: checked ? "ok" : "pending" }, el("span", { class: "icon", "aria-hidden": "true", text: checked ? "✓" : "…" }), checked ? "Đạt kiểm tra" : "Đang kiểm tra"),
    el(
      "div",
      { class: "tools" },
      select,
      button("rotate", "↻", `Xoay ${name.toLowerCase()} 90° (R)`, () => rotate(component)),
      button("left", "←", `Chuyển ${name.toLowerCase()} lên trước (Alt+←)`, () => move(component, -1), at === 0 ? "dim" : ""),
      button("right", "→", `Chuyển ${name.toLowerCase()} ra sau (Alt+→)`, () => move(component, 1)),
      button("delete", "✕ Xóa", `Xóa ${name.toLowerCase()} (Delete)`, () => remove(component), "danger"),
    ),
  );
  return card;
}

function announceNew(component, pages) {
  const key = `page:${component.id}`;
  if (!announced.has(key)) {
    announced.add(key);
    hooks.announce(`Đã nhận ${title(pages).toLowerCase()}.`);
  }
  for (const w of component.quality || []) {
    const wkey = `w:${component.id}:${w.page}:${w.code}`;
    if (announced.has(wkey)) continue;
    announced.add(wkey);
    hooks.announce(`Cảnh báo: ${w.message}`);
  }
}

async function act(work) {
  hooks.mutating(true);
  try {
    return await work();
  } catch (error) {
    hooks.failed(error);
    return null;
  } finally {
    hooks.mutating(false);
    hooks.changed();
  }
}

const fileUrl = (component) => `dossiers/${encodeURIComponent(ref)}/files/${component.id}`;

async function remove(component) {
  const at = components.findIndex((c) => c.id === component.id);
  const name = title(pagesOf(component, 1)).toLowerCase();
  const ok = await act(async () => {
    await del(fileUrl(component));
    return true;
  });
  if (!ok) return;
  render(components.filter((c) => c.id !== component.id));
  hooks.announce(`Đã xóa tệp ${component.original_filename || component.filename} (${name}).`);
  const next = components[Math.min(at, components.length - 1)];
  if (next) cards.get(next.id).focus();
  else pick.focus();
}

async function rotate(component) {
  const updated = await act(() => patch(fileUrl(component), { rotation: ((component.rotation || 0) + 90) % 360 }));
  if (updated) merge(updated);
}

async function setKind(component, choice) {
  // One choice: a required document of the procedure, a document kind, or the check's own guess.
  const body = choice.startsWith("doc:")
    ? { declared_document: choice.slice(4), clear_declared_kind: true }
    : choice.startsWith("kind:")
      ? { declared_kind: choice.slice(5), declared_document: "" }
      : { clear_declared_kind: true, declared_document: "" };
  const updated = await act(() => patch(fileUrl(component), body));
  if (updated) merge(updated);
}

async function move(component, step) {
  const ids = components.map((c) => c.id);
  const at = ids.indexOf(component.id);
  const to = at + step;
  if (to < 0 || to >= ids.length) return;
  [ids[at], ids[to]] = [ids[to], ids[at]];
  const dossier = await act(() => put(`dossiers/${encodeURIComponent(ref)}/order`, { component_ids: ids }));
  if (!dossier) return;
  render(dossier.components);
  cards.get(component.id).focus();
  hooks.announce(`Đã chuyển tệp sang vị trí ${to + 1}.`);
}

function cardKeys(event) {
  const card = event.target.closest(".page-card");
  if (!card) return;
  const component = components.find((c) => String(c.id) === card.dataset.id);
  if (!component) return;
  const onCard = event.target === card;
  if (event.altKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
    event.preventDefault();
    move(component, event.key === "ArrowLeft" ? -1 : 1);
  } else if (!onCard) {
    return; // the select and buttons keep their own keys
  } else if (event.key === "Delete" || event.key === "Backspace") {
    event.preventDefault();
    remove(component);
  } else if (event.key === "r" || event.key === "R") {
    event.preventDefault();
    rotate(component);
  } else if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) {
    event.preventDefault();
    const at = components.indexOf(component);
    const step = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 }[event.key];
    const to = event.key === "Home" ? 0 : event.key === "End" ? components.length - 1 : at + step;
    const next = components[Math.max(0, Math.min(components.length - 1, to))];
    cards.get(next.id).focus();
  }
}

