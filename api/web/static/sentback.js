// "Hồ sơ trả về bổ sung": the dossiers a reviewer sent back to this service point (GET
// /counter/sent-back), with what the reviewer asked for. The clerk prints form 02 for the
// citizen, then opens the dossier on the counter screen to add the missing pages and submit it
// again (F8). Polled like the reading progress; a count in the top bar says when new ones come.
// F9 goes to the list; on an entry: Enter opens it, P prints form 02, ↑/↓ move.

import { API, clerkActive, get } from "./api.js";
import { el, timeAndDate } from "./format.js";

const block = document.getElementById("sentback-block");
const list = document.getElementById("sentback");
const jump = document.getElementById("sentback-jump");
const count = document.getElementById("sentback-count");
const headCount = document.getElementById("sentback-head-count");
const EVERY_MS = 5000;

let entries = [];
let known = null; // codes seen so far (null until the first answer): new ones are announced
let timer = 0;
let enabled = false;
let openCode = null; // the one open on this screen for the supplement
let asked = 0; // only the latest question's answer is shown (one asked before a resubmission is stale)
let hooks = { open() {}, print() {}, announce() {}, failed() {} };

export function setupSentBack(given) {
  hooks = { ...hooks, ...given };
  enabled = true;
  jump.hidden = false;
  jump.addEventListener("click", focusSentBack);
  list.addEventListener("keydown", entryKeys);
  list.addEventListener("focusin", (event) => {
    const entry = event.target.closest(".sentback-item");
    if (entry) entry.classList.remove("new"); // seen
  });
  refreshSentBack();
}

export function supplementRequestUrl(code) {
  return `${API}/dossiers/${encodeURIComponent(code)}/supplement-request.pdf`;
}

/** F9: to the first entry (or say there is none). */
export function focusSentBack() {
  const first = list.querySelector("li.sentback-item");
  if (first) first.focus();
  else hooks.announce("Không có hồ sơ nào trả về bổ sung.");
}

/** Ask the server now (after a resubmission: the dossier leaves the list). */
export async function refreshSentBack() {
  clearTimeout(timer);
  if (!enabled) return;
  if (clerkActive() && !document.hidden) {
    const ticket = ++asked;
    try {
      const answer = await get("counter/sent-back");
      if (ticket === asked) show(answer);
    } catch (error) {
      if (error.status === 401) return; // on its way to /signin
    }
  }
  clearTimeout(timer); // one chain of polls, however many asked at once
  timer = setTimeout(refreshSentBack, EVERY_MS);
}

/** Mark the entry open on the screen (null: none). */
export function markOpen(code) {
  openCode = code;
  render();
}

/** Take a dossier out of the list at once (resubmitted); the next answer confirms it. */
export function dropSentBack(code) {
  asked += 1;
  show(entries.filter((e) => e.dossier.code !== code));
}

function show(given) {
  const fresh = known ? given.filter((e) => !known.has(e.dossier.code)) : [];
  known = new Set(given.map((e) => e.dossier.code));
  entries = given;
  render(fresh);
  if (fresh.length) {
    const codes = fresh.map((e) => e.dossier.code).join(", ");
    hooks.announce(`Có ${fresh.length} hồ sơ mới trả về bổ sung: ${codes}.`);
  }
}

function render(fresh = []) {
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".sentback-item");
  const keep = focused ? focused.dataset.code : null;
  const highlighted = new Set([...list.querySelectorAll("li.sentback-item.new")].map((li) => li.dataset.code));
  for (const entry of fresh) highlighted.add(entry.dossier.code);
  list.replaceChildren(...entries.map((entry) => item(entry, highlighted.has(entry.dossier.code))));
  block.hidden = entries.length === 0;
  const n = String(entries.length);
  count.textContent = n;
  headCount.textContent = n;
  jump.classList.toggle("has", entries.length > 0);
  if (keep) {
    const again = list.querySelector(`li[data-code="${CSS.escape(keep)}"]`);
    if (again) again.focus();
  }
}

function item(entry, isNew) {
  const { dossier, request } = entry;
  const who = request.requested_by_name || request.requested_by;
  const name = (dossier.applicant && dossier.applicant.full_name) || "";
  const open = dossier.code === openCode;
  return el(
    "li",
    {
      class: ["sentback-item", isNew ? "new" : "", open ? "open" : ""].join(" ").trim(),
      "data-code": dossier.code,
      tabindex: "0",
    },
    el("p", { class: "sentback-code" }, el("strong", { text: dossier.code }), name ? ` · ${name}` : ""),
    open ? el("p", { class: "sentback-open", text: "Đang mở trên màn hình để nhận bổ sung" }) : null,
    el("p", { class: "sentback-meta", text: dossier.procedure_name || dossier.procedure_code }),
    el("p", { class: "sentback-label", text: "Cần bổ sung:" }),
    el("ul", { class: "sentback-asks" }, ...request.items.map((text) => el("li", { text }))),
    request.note ? el("p", { class: "sentback-note", text: `Ghi chú: ${request.note}` }) : null,
    el("p", { class: "sentback-meta", text: `Trả về lúc ${timeAndDate(request.requested_at)} · ${who}` }),
    el(
      "p",
      { class: "sentback-actions" },
      el(
        "button",
        { type: "button", class: "small print-02", onclick: () => hooks.print(supplementRequestUrl(dossier.code)) },
        "In phiếu 02 ",
        el("kbd", { text: "P" }),
      ),
      el(
        "button",
        { type: "button", class: "small primary open-supplement", onclick: () => hooks.open(dossier, request) },
        "Nhận bổ sung ",
        el("kbd", { text: "Enter" }),
      ),
    ),
  );
}

function entryKeys(event) {
  const current = event.target.closest && event.target.closest(".sentback-item");
  if (!current || event.target !== current || event.altKey || event.ctrlKey || event.metaKey) return;
  const entry = entries.find((e) => e.dossier.code === current.dataset.code);
  if (!entry) return;
  const moves = { ArrowDown: current.nextElementSibling, ArrowUp: current.previousElementSibling };
  if (event.key in moves) {
    event.preventDefault();
    if (moves[event.key]) moves[event.key].focus();
  } else if (event.key === "Enter") {
    event.preventDefault();
    hooks.open(entry.dossier, entry.request);
  } else if (event.key === "p" || event.key === "P") {
    event.preventDefault();
    hooks.print(supplementRequestUrl(entry.dossier.code));
  }
}
