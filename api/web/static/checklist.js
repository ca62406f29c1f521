// Step 4: the procedure's required documents; once pages exist, each one present (with its
// pages) or missing — colour, icon and words, never colour alone.

import { get } from "./api.js";
import { el } from "./format.js";

const checklist = document.getElementById("checklist");
const empty = document.getElementById("checklist-empty");

/** Before a draft: what the procedure asks for. */
export function showRequired(procedure) {
  const items = (procedure && procedure.required_documents) || [];
  empty.hidden = items.length > 0;
  empty.textContent = procedure
    ? "Thủ tục này chưa có danh mục thành phần hồ sơ."
    : "Chọn thủ tục để xem các giấy tờ cần có.";
  checklist.replaceChildren(
    ...items.map((item) =>
      checkItem(item.name, item.required ? "need" : "optional", item.required ? "Bắt buộc" : "Nếu có"),
    ),
  );
}

/** The draft's checklist as the server finds it (GET /dossiers/{ref}/checklist). */
export async function showChecklist(ref, current = () => true) {
  const result = await get(`dossiers/${encodeURIComponent(ref)}/checklist`);
  if (!current()) return result; // the screen moved on (submitted, next citizen)
  empty.hidden = result.items.length > 0;
  checklist.replaceChildren(
    ...result.items.map((item) => {
      if (item.present) {
        const pages = item.pages && item.pages.length ? ` – trang ${item.pages.join(", ")}` : "";
        return checkItem(item.name, "present", `Đã có${pages}`);
      }
      return item.required
        ? checkItem(item.name, "missing", "Còn thiếu")
        : checkItem(item.name, "absent", "Chưa có (không bắt buộc)");
    }),
  );
  return result;
}

function checkItem(name, kind, status) {
  const icon = { present: "✓", missing: "✗", need: "•", optional: "○", absent: "○" }[kind];
  return el(
    "li",
    { class: `check ${kind}` },
    el("span", { class: "icon", "aria-hidden": "true", text: icon }),
    el("span", { class: "check-name", text: name }),
    el("span", { class: "check-state", text: status }),
  );
}
