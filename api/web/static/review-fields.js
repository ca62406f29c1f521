// The fields of a dossier, grouped by document (file and part, with its kind), the doubtful
// ones first, and the editor that clears them from the keyboard:
//   Enter  confirm the value (or save the typed one) and go to the next doubtful field
//   typing replaces the value; F2 or Backspace edit it; Esc undoes the edit
//   1..9   pick a candidate (saved at once) when the field is not being edited
//   Tab / Shift+Tab, ↑ / ↓ move between fields
// Saves go out one after another in the background (the reviewer does not wait on the
// network); each answer updates its field in place (value, version, status, history). A stale
// save (FIELD_STALE) brings the current value back and lets the reviewer decide.

import { call } from "./api.js";
import { el, timeAndDate } from "./format.js";
import {
  STATE_MARKS,
  checkValue,
  documentWords,
  fieldLabel,
  fieldPath,
  isDoubtful,
  renderPanel,
  reviewedBy,
  showCheck,
  stateClass,
  stateWords,
} from "./review-panel.js";
import { showPage } from "./review-viewer.js";

const $ = (id) => document.getElementById(id);
const CHECK_DELAY_MS = 250;

let ref = "";
let entries = []; // navigation order: {key, component, part, group, data: FieldPublic, pending, draft, notice}
let selected = -1;
let original = ""; // the saved value of the selected field
let editing = false;
let readOnly = false;
let saving = Promise.resolve();
let checkTimer = 0;
let checkRound = 0;
let hooks = { changed: () => {}, announce: () => {}, message: () => {}, claimLost: () => {}, allDone: () => {} };

const keyOf = (componentId, part, name) => `${componentId}:${part}:${name}`;

/** The documents of a file: the reviewer's split when saved, else the reader's, else the file. */
export function documentsOf(component) {
  const parts = (component.reviewed_parts && component.reviewed_parts.length && component.reviewed_parts) || component.parts || [];
  if (parts.length) return parts.map((p) => ({ kind: p.kind || "other", pages: p.pages || [] }));
  return [{ kind: component.kind || "other", pages: [...Array(component.page_count).keys()] }];
}

function build(data) {
  const built = [];
  const groups = [];
  const components = [...data.components].sort((a, b) => a.position - b.position);
  components.forEach((component, fileIndex) => {
    const documents = documentsOf(component);
    const parts = new Set([...documents.keys(), ...component.fields.map((f) => f.part || 0)]);
    for (const part of [...parts].sort((a, b) => a - b)) {
      const doc = documents[part] || { kind: "other", pages: [] };
      const group = { id: `doc-${component.id}-${part}`, component, part, kind: doc.kind, pages: doc.pages, fileNumber: fileIndex + 1 };
      const fields = component.fields.filter((f) => (f.part || 0) === part);
      if (!fields.length) continue;
      // Doubtful first, each set in the order the document prints them.
      const ordered = [...fields.filter(isDoubtful), ...fields.filter((f) => !isDoubtful(f))];
      groups.push(group);
      for (const field of ordered) {
        built.push({ key: keyOf(component.id, part, field.name), component, part, group, data: field, pending: 0, draft: null, notice: null });
      }
    }
  });
  return { built, groups };
}

function item(entry, index) {
  const field = entry.data;
  const state = stateClass(entry);
  return el(
    "li",
    {
      id: `fld-${index}`,
      class: `field ${state}`,
      role: "option",
      "aria-selected": index === selected ? "true" : "false",
      "data-component": String(entry.component.id),
      "data-part": String(entry.part),
      "data-name": field.name,
      "data-status": field.status,
      "data-version": String(field.version || 1),
      "data-index": String(index),
    },
    el("span", { class: "f-mark", "aria-hidden": "true", text: STATE_MARKS[state] }),
    el("span", { class: "f-label", text: fieldLabel(field) }),
    el("span", { class: "f-state", text: stateWords(entry) }),
    el("span", { class: "f-value", text: entry.draft ?? entry.shown ?? field.value ?? "" }),
  );
}

function renderList(groups) {
  const list = $("fields");
  list.replaceChildren(
    ...groups.map((group) => {
      const members = entries.map((entry, index) => [entry, index]).filter(([entry]) => entry.group === group);
      return el(
        "div",
        { role: "group", class: "doc-group", "aria-labelledby": group.id },
        el("div", { id: group.id, class: "doc-head", text: documentWords(group) }), // no heading: a listbox holds options
        el("ul", { role: "presentation" }, ...members.map(([entry, index]) => item(entry, index))),
      );
    }),
  );
  $("fields-count").textContent = `${entries.length} trường`;
}

function refreshItem(entry) {
  const index = entries.indexOf(entry);
  const old = document.getElementById(`fld-${index}`);
  if (old) old.replaceWith(item(entry, index));
}

export function setupFields(given) {
  hooks = { ...hooks, ...given };
  const editor = $("value");
  editor.addEventListener("keydown", editorKeys);
  editor.addEventListener("input", typed);
  $("fields").addEventListener("keydown", listKeys);
  $("fields").addEventListener("click", (event) => {
    const li = event.target.closest("li.field");
    if (li) select(Number(li.dataset.index));
  });
}

/** Show a dossier's fields; keep the selected field when it is still there, else the first doubtful. */
export function showFields(reference, data, { editable }) {
  const keep = entries[selected] ? entries[selected].key : null;
  ref = reference;
  readOnly = !editable;
  const { built, groups } = build(data);
  entries = built;
  selected = -1;
  editing = false;
  renderList(groups);
  $("value").readOnly = readOnly;
  const again = keep ? entries.findIndex((e) => e.key === keep) : -1;
  const first = entries.findIndex((e) => isDoubtful(e.data));
  if (entries.length) select(again >= 0 ? again : Math.max(first, 0));
  else hooks.message("Hồ sơ này không có trường thông tin nào đọc được.", "info");
}

export function select(index, focus = true) {
  if (index < 0 || index >= entries.length) return;
  stashDraft();
  selected = index;
  const entry = entries[index];
  for (const li of $("fields").querySelectorAll("li.field[aria-selected='true']")) li.setAttribute("aria-selected", "false");
  const li = document.getElementById(`fld-${index}`);
  li.setAttribute("aria-selected", "true");
  li.scrollIntoView({ block: "nearest" });
  $("fields").setAttribute("aria-activedescendant", li.id);
  original = entry.data.value ?? "";
  editing = entry.draft !== null;
  const editor = $("value");
  editor.value = editing ? entry.draft : (entry.shown ?? original);
  renderPanel(ref, entry, pickCandidate);
  hooks.message(entry.notice || "", "error");
  if (focus) editor.focus();
  if (editing) editor.setSelectionRange(editor.value.length, editor.value.length);
  else editor.select();
  showCheck(null);
  if (editing || entry.data.status === "invalid") scheduleCheck(0);
  showOnPage(entry);
  hooks.announce(`${fieldLabel(entry.data)}: ${editor.value || "trống"}. ${stateWords(entry)}.`);
}

function stashDraft() {
  const entry = entries[selected];
  if (!entry || !editing) return;
  const value = $("value").value;
  entry.draft = value !== original ? value : null;
  refreshItem(entry);
}

function showOnPage(entry) {
  const { component } = entry;
  const page = entry.data.page || 0;
  const url = `/api/v1/review/dossiers/${encodeURIComponent(ref)}/components/${component.id}/pages/${page}/image?r=${component.rotation || 0}`;
  const boxes = entries
    .filter((e) => e.component === component && (e.data.page || 0) === page)
    .map((e) => ({ key: e.key, box: e.data.box, status: stateClass(e).slice(3) }));
  const name = component.filename || component.original_filename || "";
  showPage(url, `· tệp ${entry.group.fileNumber} “${name}”, trang ${page + 1}/${component.page_count}`, boxes, entry.key);
}

export function selectKey(key) {
  const index = entries.findIndex((e) => e.key === key);
  if (index >= 0) select(index);
}

// A long value wraps in the editor (an address is read whole, not its tail); a value is one line.
function typedValue() {
  return $("value").value.normalize("NFC").replace(/\s*[\r\n]+\s*/g, " ").trim();
}

// --- keys -------------------------------------------------------------------------------------

function editorKeys(event) {
  if (event.isComposing) return;
  const plain = !event.ctrlKey && !event.altKey && !event.metaKey;
  const move = (step) => {
    const target = selected + step;
    if (target < 0 || target >= entries.length) return false;
    event.preventDefault();
    select(target);
    return true;
  };
  if (event.key === "Enter" && plain) {
    event.preventDefault();
    commit(event.shiftKey); // Shift+Enter: keep a place outside the catalogue, on purpose
  } else if (event.key === "Tab" && !event.ctrlKey && !event.altKey) {
    move(event.shiftKey ? -1 : 1); // at either end Tab leaves the list, as everywhere
  } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && plain) {
    if (!move(event.key === "ArrowDown" ? 1 : -1)) event.preventDefault();
  } else if (event.key === "Escape") {
    event.preventDefault();
    undo();
  } else if (event.key === "F2") {
    event.preventDefault();
    startEditing();
  } else if (event.key === "Backspace" && !editing) {
    editing = true; // the whole value is selected: Backspace clears it, the reviewer types anew
  } else if (/^[1-9]$/.test(event.key) && plain && !editing) {
    const candidate = (entries[selected].data.candidates || [])[Number(event.key) - 1];
    if (candidate) {
      event.preventDefault();
      pickCandidate(candidate);
    }
  }
}

function listKeys(event) {
  const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
  if (step) {
    event.preventDefault();
    select(Math.min(Math.max(selected + step, 0), entries.length - 1), false);
  } else if (event.key === "Home" || event.key === "End") {
    event.preventDefault();
    select(event.key === "Home" ? 0 : entries.length - 1, false);
  } else if (event.key === "Enter" || event.key === "F2") {
    event.preventDefault();
    focusEditor();
  }
}

function typed() {
  const entry = entries[selected];
  if (!entry) return;
  editing = $("value").value !== original;
  entry.draft = editing ? $("value").value : null;
  refreshItem(entry);
  document.getElementById(`fld-${selected}`).setAttribute("aria-selected", "true");
  scheduleCheck(CHECK_DELAY_MS);
}

function startEditing() {
  const editor = $("value");
  editing = true;
  editor.setSelectionRange(editor.value.length, editor.value.length);
}

function undo() {
  const entry = entries[selected];
  if (!entry) return;
  entry.draft = null;
  entry.notice = null;
  editing = false;
  $("value").value = original;
  $("value").select();
  showCheck(null);
  hooks.message("", "error");
  refreshItem(entry);
  document.getElementById(`fld-${selected}`).setAttribute("aria-selected", "true");
  if (entry.data.status === "invalid") scheduleCheck(0);
}

function scheduleCheck(delay) {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(runCheck, delay);
}

async function runCheck() {
  const entry = entries[selected];
  if (!entry) return;
  const round = ++checkRound;
  const result = await checkValue(entry.data.name, typedValue());
  if (round === checkRound && entries[selected] === entry) showCheck(result);
}

// --- saving -------------------------------------------------------------------------------------

/** Save what the editor holds and move on. `keepUnlisted`: the reviewer keeps a place the
 *  2025 catalogue does not list (a birthplace abroad): only the place check may be overridden. */
async function commit(keepUnlisted = false) {
  const entry = entries[selected];
  if (!entry) return;
  if (readOnly) {
    hooks.message("Hồ sơ không ở trạng thái chờ kiểm tra: không sửa được.", "error");
    return;
  }
  const value = typedValue();
  const changed = editing && value !== original;
  if (changed) {
    const result = await checkValue(entry.data.name, value);
    if (entries[selected] !== entry) return;
    const keep = Boolean(keepUnlisted && result && !result.valid && result.may_keep);
    if (result && !result.valid && !keep) {
      showCheck(result);
      hooks.message(
        result.may_keep
          ? "Nơi này không có trong danh mục đơn vị hành chính 2025. Sửa rồi bấm Enter; nếu đúng là nơi ngoài danh mục (ví dụ ở nước ngoài), bấm Shift+Enter để giữ."
          : "Giá trị chưa đúng (xem dòng báo dưới ô). Sửa rồi bấm Enter, hoặc Esc để hoàn tác.",
        "error",
      );
      return;
    }
    send(entry, "PUT", () => ({ value, version: entry.data.version, keep_unlisted_place: keep }), value);
  } else if (entry.data.status === "invalid") {
    hooks.message("Giá trị đọc được không hợp lệ nên không xác nhận được: gõ giá trị đúng, hoặc chọn một nguồn bằng phím số.", "error");
    return;
  } else if (!reviewedBy(entry.data) || entry.notice) {
    send(entry, "POST", () => ({ version: entry.data.version, keep_unlisted_place: keepUnlisted }), null);
  }
  nextDoubtful(entry);
}

function pickCandidate(candidate) {
  const entry = entries[selected];
  if (!entry || readOnly) return;
  send(entry, "PUT", () => ({ value: candidate.value, version: entry.data.version, source: candidate.source }), candidate.value);
  hooks.announce(`Đã chọn ${candidate.label}: ${candidate.value}.`);
  nextDoubtful(entry);
}

function send(entry, method, body, shown) {
  entry.pending += 1;
  entry.draft = null;
  entry.notice = null;
  entry.shown = shown ?? undefined;
  if (entries[selected] === entry) editing = false;
  refreshItem(entry);
  hooks.changed();
  const path = fieldPath(ref, entry, method === "POST" ? "/confirm" : "");
  saving = saving.then(async () => {
    try {
      entry.data = await call(method, path, body());
    } catch (error) {
      saveFailed(entry, error, shown);
    } finally {
      entry.pending -= 1;
      if (!entry.pending) entry.shown = undefined;
      savedShown(entry);
      hooks.changed();
    }
  });
}

function savedShown(entry) {
  if (!entries.includes(entry)) return;
  refreshItem(entry);
  if (entries[selected]) showOnPage(entries[selected]); // the box's colour follows its state
  if (entries[selected] !== entry) return;
  document.getElementById(`fld-${selected}`).setAttribute("aria-selected", "true");
  if (editing) return; // the reviewer is typing here again: their text stays
  original = entry.data.value ?? "";
  $("value").value = entry.draft ?? original;
  if (document.activeElement === $("value")) $("value").select();
  renderPanel(ref, entry, pickCandidate);
}

function saveFailed(entry, error, shown) {
  if (error.status === 401) return; // on the way to /signin
  if (error.code === "DOSSIER_CLAIMED") {
    hooks.claimLost(error);
    return;
  }
  if (error.code === "FIELD_STALE" && error.body && error.body.current) {
    entry.data = error.body.current;
    const current = entry.data.value;
    const last = (entry.data.edits || [])[entry.data.edits.length - 1];
    const by = last ? ` (${last.reviewer}, ${timeAndDate(last.at)})` : "";
    entry.notice =
      `Trường “${fieldLabel(entry.data)}” vừa được thay đổi ở nơi khác${by}. Giá trị hiện tại: “${current}”. ` +
      (shown !== null && shown !== current
        ? `Giá trị của bạn “${shown}” chưa được lưu: Enter để lưu đè, Esc để giữ giá trị hiện tại.`
        : "Enter để xác nhận giá trị hiện tại, hoặc sửa lại.");
    entry.draft = shown !== null && shown !== current ? shown : null;
  } else {
    const keepable = error.code === "FIELD_VALUE_INVALID" && error.body && error.body.may_keep;
    entry.notice = keepable ? `${error.message} Nếu đúng là nơi ngoài danh mục (ví dụ ở nước ngoài): Shift+Enter để giữ.` : error.message;
    entry.draft = shown;
  }
  const index = entries.indexOf(entry);
  if (index >= 0) {
    entry.pending -= 1; // shown as it is now, not as saving
    select(index);
    entry.pending += 1;
  }
}

function nextDoubtful(from) {
  const start = entries.indexOf(from);
  for (let step = 1; step <= entries.length; step += 1) {
    const index = (start + step) % entries.length;
    if (needsWork(entries[index])) {
      select(index);
      return;
    }
  }
  select(start); // nothing left here: stay, and say so
  hooks.allDone();
}

function needsWork(entry) {
  return (isDoubtful(entry.data) && !entry.pending) || entry.draft !== null || Boolean(entry.notice);
}

/** Fields still doubtful on the server (saves in flight not counted as done). */
export function unresolvedCount() {
  return entries.filter((e) => isDoubtful(e.data) || e.draft !== null).length;
}

export function savesInFlight() {
  return entries.reduce((n, e) => n + e.pending, 0);
}

/** Wait for every save sent so far. */
export function drained() {
  return saving;
}

export function firstUnresolved() {
  const index = entries.findIndex((e) => isDoubtful(e.data) || e.draft !== null);
  if (index >= 0) select(index);
}

export function focusEditor() {
  $("value").focus();
}

export function currentComponentId() {
  return entries[selected] ? entries[selected].component.id : null;
}
