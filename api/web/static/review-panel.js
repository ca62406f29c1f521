// The selected field beside its value: its title and status in words, the crop of the page it
// was read from (large), the candidates where sources disagree (keys 1..n), its history, and
// the inline check of a typed value.

import { ApiError, API, post } from "./api.js";
import { el, kindLabel, timeAndDate } from "./format.js";

const $ = (id) => document.getElementById(id);

export const DOUBTFUL = new Set(["needs_review", "invalid"]);
const SOURCE_WORDS = {
  ocr: "chữ in (đọc máy)",
  ocr2: "lần đọc thứ hai",
  ocr3: "lần đọc thứ ba",
  pdf_text: "chữ của tệp PDF",
  qr: "mã QR",
  mrz: "MRZ",
  rule: "quy tắc kiểm tra",
  reviewer: "cán bộ kiểm tra",
};

export function isDoubtful(field) {
  return DOUBTFUL.has(field.status);
}

export function reviewedBy(field) {
  return (field.sources || []).includes("reviewer");
}

export function fieldLabel(field) {
  return field.label || field.name.replace(/_/g, " ");
}

/** The field's state in words (never colour alone): what the list and the panel say. */
export function stateWords(entry) {
  if (entry.pending) return "Đang lưu…";
  if (entry.draft !== null && entry.draft !== undefined) return "Chưa lưu";
  const field = entry.data;
  if (reviewedBy(field) && !isDoubtful(field)) {
    const last = (field.edits || [])[field.edits.length - 1];
    return last && last.action === "correct" ? "Đã sửa" : "Đã xác nhận";
  }
  return { needs_review: "Cần kiểm tra", invalid: "Không hợp lệ" }[field.status] || "Đọc tốt";
}

/** A class for the state's colour, beside its words. */
export function stateClass(entry) {
  if (entry.pending) return "st-pending";
  if (entry.draft !== null && entry.draft !== undefined) return "st-draft";
  if (isDoubtful(entry.data)) return `st-${entry.data.status}`;
  return reviewedBy(entry.data) ? "st-reviewed" : "st-ok";
}

export const STATE_MARKS = {
  "st-pending": "…",
  "st-draft": "✎",
  "st-needs_review": "⚠",
  "st-invalid": "✗",
  "st-reviewed": "✓",
  "st-ok": "·",
};

/** A field's URL under /api/v1: `suffix` ("/confirm", "/crop"), `query` more parameters. */
export function fieldPath(ref, entry, suffix = "", query = {}) {
  const params = new URLSearchParams(query);
  if (entry.part) params.set("part", String(entry.part));
  const tail = params.toString() ? `?${params}` : "";
  return `review/dossiers/${encodeURIComponent(ref)}/components/${entry.component.id}/fields/${encodeURIComponent(entry.data.name)}${suffix}${tail}`;
}

export function documentWords(group) {
  const pages = group.pages.length ? ` · trang ${pageRange(group.pages)}` : "";
  return `Tệp ${group.fileNumber} · ${kindLabel(group.kind)}${pages}`;
}

export function pageRange(pages) {
  const numbers = pages.map((p) => p + 1);
  if (numbers.length > 1 && numbers.every((n, i) => i === 0 || n === numbers[i - 1] + 1)) {
    return `${numbers[0]}–${numbers[numbers.length - 1]}`;
  }
  return numbers.join(", ");
}

export function renderPanel(ref, entry, pick) {
  const field = entry.data;
  $("field-title").textContent = fieldLabel(field);
  $("value-label").textContent = `Giá trị: ${fieldLabel(field)}`;
  $("field-doc").textContent = `${documentWords(entry.group)} · ảnh trang ${field.page + 1}`;
  const status = $("field-status");
  status.className = `field-status ${stateClass(entry)}`;
  const sources = (field.sources || []).map((s) => SOURCE_WORDS[s] || s);
  status.replaceChildren(
    el("strong", { text: stateWords(entry) }),
    field.reason_vi && isDoubtful(field) ? `: ${field.reason_vi}` : "",
    sources.length ? el("span", { class: "sources", text: ` · Nguồn: ${sources.join(", ")}` }) : null,
  );
  renderCrop(ref, entry);
  renderCandidates(field, pick);
  renderHistory(field.edits || []);
}

function renderCrop(ref, entry) {
  const image = $("crop").querySelector("img");
  const caption = $("crop-caption");
  const box = entry.data.box || [];
  if (!(box.length === 4 && box[2] > box[0] && box[3] > box[1])) {
    image.hidden = true;
    image.removeAttribute("src");
    caption.textContent = "Trường này không có vùng ảnh (cán bộ gõ từ trang).";
    return;
  }
  const url = `${API}/${fieldPath(ref, entry, "/crop", { v: String(entry.data.version || 1) })}`;
  caption.textContent = "Vùng ảnh nơi giá trị được đọc";
  image.alt = `Ảnh vùng của trường ${fieldLabel(entry.data)}`;
  image.onerror = () => {
    image.hidden = true;
    caption.textContent = "Không tải được ảnh vùng này.";
  };
  image.onload = () => (image.hidden = false);
  if (image.getAttribute("src") !== url) image.src = url;
}

function renderCandidates(field, pick) {
  const list = $("candidates");
  const candidates = field.candidates || [];
  $("candidates-box").hidden = candidates.length === 0;
  list.replaceChildren(
    ...candidates.slice(0, 9).map((candidate, i) =>
      el(
        "li",
        {
          "data-key": String(i + 1),
          "data-source": candidate.source,
          "data-value": candidate.value,
          class: candidate.value === field.value ? "candidate current" : "candidate",
        },
        el(
          "button",
          { type: "button", tabindex: "-1", onclick: () => pick(candidate) },
          el("kbd", { text: String(i + 1) }),
          el(
            "span",
            { class: "cand-text" },
            el("span", { class: "cand-label" }, candidate.label, candidate.value === field.value ? " · đang dùng" : ""),
            el("span", { class: "cand-value", text: candidate.value }),
          ),
        ),
      ),
    ),
  );
}

function renderHistory(edits) {
  const list = $("history");
  if (!edits.length) {
    list.replaceChildren(el("li", { class: "empty", text: "Chưa có cán bộ nào kiểm tra trường này." }));
    return;
  }
  list.replaceChildren(
    ...[...edits].reverse().map((edit) =>
      el(
        "li",
        {},
        el("span", { class: "h-when", text: timeAndDate(edit.at) }),
        " · ",
        el("strong", { text: edit.reviewer }),
        " — ",
        edit.action === "confirm"
          ? el("span", {}, "xác nhận “", el("span", { class: "h-new", text: edit.new_value }), "”")
          : el(
              "span",
              {},
              "sửa “",
              el("del", { text: edit.old_value }),
              "” → “",
              el("ins", { text: edit.new_value }),
              "”",
            ),
      ),
    ),
  );
}

// --- the inline check of a typed value: POST /review/check, as the server checks a save ---------

const checks = new Map();

/** The check's answer for `value` of field `name` (cached); null when the server has no check. */
export function checkValue(name, value) {
  const key = `${name}\u0000${value}`;
  if (!checks.has(key)) {
    const answer = post("review/check", { name, value }).catch((error) => {
      checks.delete(key);
      if (error instanceof ApiError && error.status === 422 && error.code === "FIELD_VALUE_INVALID") {
        return { value, valid: false, problems: [error.message] };
      }
      return null; // no check reachable: the save's own check still applies
    });
    checks.set(key, answer);
  }
  return checks.get(key);
}

export function showCheck(result) {
  const bad = Boolean(result && !result.valid);
  const problems = bad ? (result.problems || []).join(" ") || "Giá trị không hợp lệ." : "";
  $("check").textContent = bad && result.may_keep ? `${problems} Shift+Enter: giữ nơi ngoài danh mục.` : problems;
  $("value").setAttribute("aria-invalid", bad ? "true" : "false");
}
