// The queue "Hàng chờ kiểm tra": dossiers waiting for review, green lane first then by
// appointment date (the server's order), filtered by service point, procedure and agency.
// ↑/↓ move between rows, Enter opens one, N opens the next unclaimed dossier.

import { ApiError, clerkActive, get, post } from "./api.js";
import { ddmmyyyy, el } from "./format.js";

const $ = (id) => document.getElementById(id);
const FILTERS = [
  // [select id, query parameter of the API and of this page, the queue item's key, its label's key]
  ["filter-point", "service_point", "service_point_code", null],
  ["filter-procedure", "procedure", "procedure_code", "procedure_name"],
  ["filter-agency", "agency", "agency_code", null],
];
const POLL_MS = 10_000;

const seen = new Map(FILTERS.map(([id]) => [id, new Map()])); // options met so far: value -> label
let loading = false;

function filterQuery() {
  const query = new URLSearchParams();
  for (const [id, param] of FILTERS) {
    const value = $(id).value;
    if (value) query.set(param, value);
  }
  return query;
}

function setMessage(text) {
  $("queue-message").textContent = text;
}

// How the dossier reached the center (DossierPublic.channel): shown in the queue and the header.
const CHANNELS = { counter: "Tại quầy", online: "Trực tuyến", postal: "Bưu chính" };

/** The channel's Vietnamese label, as a badge (`channel-online`…) a reviewer sees at a glance. */
export function channelBadge(channel) {
  const key = channel || "counter";
  return el("span", { class: `badge channel channel-${key}`, "data-channel": key, text: CHANNELS[key] || key });
}

/** "Còn 3 ngày" / "Hẹn trả hôm nay" / "Quá hạn 2 ngày": words first, colour second. */
export function dueWords(days) {
  if (days === null || days === undefined) return { text: "", late: false };
  if (days < 0) return { text: `Quá hạn ${-days} ngày`, late: true };
  if (days === 0) return { text: "Hẹn trả hôm nay", late: false, today: true };
  return { text: `Còn ${days} ngày`, late: false };
}

function remember(items) {
  for (const [id, , key, labelKey] of FILTERS) {
    const known = seen.get(id);
    for (const item of items) {
      const value = item[key];
      if (value && !known.has(value)) known.set(value, labelKey && item[labelKey] ? `${item[labelKey]} (${value})` : value);
    }
    const select = $(id);
    const chosen = select.value;
    if (chosen && !known.has(chosen)) known.set(chosen, chosen);
    const options = [...known.entries()].sort((a, b) => a[1].localeCompare(b[1], "vi"));
    select.replaceChildren(
      el("option", { value: "", text: "Tất cả" }),
      ...options.map(([value, label]) => el("option", { value, text: label })),
    );
    select.value = chosen;
  }
}

function row(item) {
  const due = dueWords(item.due_in_days);
  const holder = item.claimed_by ? item.claimed_by_name || item.claimed_by : "";
  return el(
    "tr",
    { "data-code": item.code, class: [holder ? "claimed" : "", due.late ? "late" : ""].join(" ").trim() || null },
    el(
      "td",
      {},
      el("a", { href: `/kiem-tra/${encodeURIComponent(item.code)}`, class: "code-link", text: item.code }),
      item.green_lane ? el("span", { class: "badge green", text: "Làn xanh" }) : null,
    ),
    el("td", {}, el("span", { text: item.procedure_name || item.procedure_code }), el("span", { class: "hint", text: ` ${item.procedure_code}` })),
    el("td", { text: item.service_point_code || "" }),
    el("td", { class: "channel-cell" }, channelBadge(item.channel)),
    el("td", { class: "num" }, el("strong", { text: String(item.fields_to_review) }), " trường"),
    el(
      "td",
      { class: due.late ? "due late" : due.today ? "due today" : "due" },
      el("span", { text: ddmmyyyy(item.due_date) || "—" }),
      due.text ? el("span", { class: "due-words" }, due.late ? el("span", { "aria-hidden": "true", text: "⚠ " }) : null, due.text) : null,
    ),
    el("td", { text: holder ? `Đang mở: ${holder}` : "—" }),
  );
}

async function refresh() {
  if (loading) return;
  loading = true;
  const focused = document.activeElement && document.activeElement.closest("#queue tbody tr");
  const focusedCode = focused ? focused.dataset.code : null;
  try {
    const query = filterQuery();
    query.set("limit", "200");
    const items = await get(`review/queue?${query}`);
    remember(items);
    const body = $("queue").tBodies[0];
    body.replaceChildren(...items.map(row));
    $("queue-empty").hidden = items.length > 0;
    const again = focusedCode && body.querySelector(`tr[data-code="${CSS.escape(focusedCode)}"] a`);
    if (again) again.focus();
  } catch (error) {
    if (error.status !== 401) setMessage(error.message);
  } finally {
    loading = false;
  }
}

async function openNext() {
  const button = $("next");
  button.disabled = true;
  try {
    const claim = await post(`review/next?${filterQuery()}`);
    location.assign(`/kiem-tra/${encodeURIComponent(claim.code)}`);
  } catch (error) {
    if (error instanceof ApiError && error.code === "QUEUE_EMPTY") setMessage(error.message);
    else if (error.status !== 401) setMessage(error.message);
    button.disabled = false;
    refresh();
  }
}

function filtersChanged() {
  const url = new URL(location.href);
  for (const [id, param] of FILTERS) {
    if ($(id).value) url.searchParams.set(param, $(id).value);
    else url.searchParams.delete(param);
  }
  history.replaceState(null, "", url);
  refresh();
}

function moveRow(event) {
  const current = event.target.closest("tr[data-code]");
  if (!current) return;
  const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
  if (!step) return;
  const rows = [...$("queue").tBodies[0].rows];
  const next = rows[rows.indexOf(current) + step];
  event.preventDefault();
  if (next) next.querySelector("a").focus();
}

function rowEnter(event) {
  // Enter on a focused row (or its link) opens it.
  const current = event.target.closest("tr[data-code]");
  if (event.key !== "Enter" || !current || event.target.tagName === "A") return;
  event.preventDefault();
  current.querySelector("a").click();
}

function shortcuts(event) {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target.closest("input, select, textarea, dialog")) return;
  if (event.key === "n" || event.key === "N") {
    event.preventDefault();
    openNext();
  }
}

function noticeFromUrl() {
  const params = new URLSearchParams(location.search);
  const notes = {
    "da-duyet": (code) => `Đã duyệt hồ sơ ${code} và chuyển cơ quan giải quyết.`,
    "da-tra-ve": (code) => `Đã trả hồ sơ ${code} về quầy để bổ sung.`,
    "dang-mo": (code) => `Hồ sơ ${code} đang được người khác kiểm tra.`,
  };
  for (const [param, words] of Object.entries(notes)) {
    if (params.get(param)) setMessage(words(params.get(param)));
  }
}

export async function showQueue() {
  $("queue-view").hidden = false;
  $("keys-queue").hidden = false;
  document.title = "Hàng chờ kiểm tra — Số Hóa";
  const params = new URLSearchParams(location.search);
  for (const [id, param] of FILTERS) {
    const value = params.get(param);
    if (value) {
      seen.get(id).set(value, value);
      $(id).append(el("option", { value, text: value }));
      $(id).value = value;
    }
    $(id).addEventListener("change", filtersChanged);
  }
  noticeFromUrl();
  $("next").addEventListener("click", openNext);
  $("queue").addEventListener("keydown", moveRow);
  $("queue").addEventListener("keydown", rowEnter);
  document.addEventListener("keydown", shortcuts);
  await refresh();
  const first = $("queue").querySelector("tbody a");
  if (first) first.focus();
  else $("next").focus();
  setInterval(() => {
    if (!document.hidden && clerkActive()) refresh();
  }, POLL_MS);
}
