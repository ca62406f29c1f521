// "Hồ sơ vừa nhận": the dossiers this clerk submitted, with their appointment date, a link to
// the receipt, and the reading progress (polled until reading ends).

import { API, clerkActive, get } from "./api.js";
import { ddmmyyyy, el, timeAndDate } from "./format.js";

const list = document.getElementById("recent");
const KEEP = 8;
const READING = new Set(["submitted", "queued", "processing"]);

let items = [];
let timer = 0;
let saved = () => {};

export function setupRecent(given, onChange) {
  items = Array.isArray(given) ? given.slice(0, KEEP) : [];
  saved = onChange;
  render();
  schedule();
}

export function recentItems() {
  return items;
}

export function receiptUrl(code) {
  return `${API}/dossiers/${encodeURIComponent(code)}/receipt.pdf`;
}

/** A dossier just submitted: first in the list. */
export function addRecent(dossier, applicantName) {
  items = [
    {
      code: dossier.code,
      name: applicantName,
      procedure: dossier.procedure_name || dossier.procedure_code,
      due_date: dossier.due_date,
      received_at: dossier.received_at,
      state: dossier.state,
      state_label: dossier.state_label,
      progress: dossier.progress,
    },
    ...items.filter((item) => item.code !== dossier.code),
  ].slice(0, KEEP);
  render();
  saved();
  schedule();
}

function schedule() {
  clearTimeout(timer);
  if (items.some((item) => READING.has(item.state))) timer = setTimeout(refresh, 1500);
}

async function refresh() {
  if (!clerkActive()) {
    schedule(); // an unattended screen does not keep its session alive
    return;
  }
  for (const item of items.filter((i) => READING.has(i.state))) {
    try {
      const dossier = await get(`dossiers/${encodeURIComponent(item.code)}`);
      Object.assign(item, {
        state: dossier.state,
        state_label: dossier.state_label,
        progress: dossier.progress,
        due_date: dossier.due_date,
      });
    } catch (error) {
      if (error.status === 401) return;
      item.state = "unknown";
    }
  }
  render();
  saved();
  schedule();
}

function progressText(item) {
  const p = item.progress || { pages_total: 0, pages_done: 0, pages_failed: 0 };
  if (READING.has(item.state)) {
    return p.pages_total ? `Đang đọc ${p.pages_done}/${p.pages_total} trang` : "Đang chờ đọc";
  }
  const failed = p.pages_failed ? `, ${p.pages_failed} trang lỗi` : "";
  return `Đã đọc ${p.pages_done}/${p.pages_total} trang${failed} · ${item.state_label || ""}`;
}

function render() {
  list.replaceChildren(
    ...items.map((item) => {
      const p = item.progress || { pages_total: 0, pages_done: 0 };
      const text = progressText(item);
      return el(
        "li",
        { class: "recent-item", "data-code": item.code },
        el("p", { class: "recent-code" }, el("strong", { text: item.code }), " · ", item.name || ""),
        el("p", { class: "recent-meta", text: `${item.procedure || ""}` }),
        el(
          "p",
          { class: "recent-meta" },
          `Nhận ${timeAndDate(item.received_at)} · Hẹn trả `,
          el("strong", { text: ddmmyyyy(item.due_date) || "—" }),
        ),
        el(
          "div",
          { class: "recent-progress" },
          el("progress", {
            max: String(Math.max(p.pages_total, 1)),
            value: String(READING.has(item.state) ? p.pages_done : Math.max(p.pages_total, 1)),
            "aria-label": `Tiến độ đọc hồ sơ ${item.code}`,
          }),
          el("span", { class: "progress-text", text }),
        ),
        el("a", {
          href: receiptUrl(item.code),
          target: "_blank",
          rel: "noopener",
          class: "link",
          "aria-label": `In phiếu tiếp nhận hồ sơ ${item.code}`,
          text: "In phiếu tiếp nhận",
        }),
      );
    }),
  );
}
