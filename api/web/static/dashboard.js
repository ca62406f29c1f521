// The leaders' dashboard "Bảng chỉ số" (/bang-chi-so): the period and the service point chosen
// by keyboard, the figures of GET /api/v1/dashboard as cards, SVG charts and a table, and the
// CSV/XLSX export (plain links: the session cookie goes with them). Definitions: docs/INDICATORS.md.

import { API, del, get, openSession, setCsrfToken, whenSignedOut } from "./api.js";
import { drawDays, drawPointBars, drawPointTimes, shortName } from "./dashboard-charts.js";
import { count, day, hours, percent, ratio } from "./dashboard-format.js";

const DASHBOARD_ROLES = new Set(["supervisor", "admin"]);
const $ = (id) => document.getElementById(id);
const fromInput = $("from");
const toInput = $("to");
const pointSelect = $("point");
let today = "";
let loading = 0;

function signIn(reasonWord) {
  const query = new URLSearchParams({ next: location.pathname + location.search });
  if (reasonWord) query.set("reason", reasonWord);
  location.assign(`/signin?${query}`);
}

function isoDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** A preset's first and last day, from the server's today (Vietnam calendar). */
function presetPeriod(name) {
  const [y, m, d] = today.split("-").map(Number);
  const at = (yy, mm, dd) => isoDay(new Date(yy, mm - 1, dd));
  switch (name) {
    case "today":
      return [today, today];
    case "week":
      return [at(y, m, d - 6), today];
    case "last-month":
      return [at(y, m - 1, 1), at(y, m, 0)];
    default:
      return [at(y, m, 1), today];
  }
}

function query() {
  const q = new URLSearchParams();
  if (fromInput.value) q.set("from", fromInput.value);
  if (toInput.value) q.set("to", toInput.value);
  if (pointSelect.value) q.set("service_point", pointSelect.value);
  return q;
}

/** The page's address for this choice (to bookmark or share); this month so far, the default,
 *  is left out so that a bookmark keeps following the calendar. */
function shareableUrl() {
  const q = query();
  const [first, last] = presetPeriod("month");
  if (q.get("from") === first && q.get("to") === last) {
    q.delete("from");
    q.delete("to");
  }
  const text = q.toString();
  return text ? `${location.pathname}?${text}` : location.pathname;
}

function showMessage(text) {
  $("message-text").textContent = text || "";
  $("message").hidden = !text;
}

function markPreset() {
  for (const button of document.querySelectorAll("[data-preset]")) {
    const [first, last] = presetPeriod(button.dataset.preset);
    button.setAttribute("aria-pressed", String(first === fromInput.value && last === toInput.value));
  }
}

async function load() {
  const q = query();
  const mine = ++loading;
  document.body.classList.add("busy");
  try {
    const data = await get(`dashboard?${q}`);
    if (mine !== loading) return; // a later choice is on its way
    showMessage("");
    today = data.today;
    fromInput.value = data.date_from;
    toInput.value = data.date_to;
    history.replaceState(null, "", shareableUrl());
    render(data);
  } catch (error) {
    if (mine === loading && error.status !== 401) showMessage(error.message);
  } finally {
    if (mine === loading) document.body.classList.remove("busy");
  }
  markPreset();
  const exportQuery = query().toString();
  $("export-xlsx").href = `${API}/dashboard/export.xlsx?${exportQuery}`;
  $("export-csv").href = `${API}/dashboard/export.csv?${exportQuery}`;
}

function setText(id, text) {
  $(id).textContent = text;
}

function renderCards(f, data) {
  const c = f.received_by_channel;
  setText("k-received", count(f.received));
  setText("k-channels", `Quầy ${count(c.counter)} · Trực tuyến ${count(c.online)} · Bưu chính ${count(c.postal)}`);
  setText("k-pages", count(f.pages_digitized));
  setText("k-pages-sub", f.received ? `${ratio(f.pages_digitized / f.received)} trang mỗi hồ sơ` : "");
  setText("k-unreviewed", percent(f.fields_unreviewed_share));
  setText("k-unreviewed-sub", `${count(f.fields_unreviewed)} / ${count(f.fields_total)} trường`);
  setText("k-corrections", ratio(f.corrections_per_dossier));
  setText("k-corrections-sub", `${count(f.corrections)} lần sửa / ${count(f.reviewed_dossiers)} hồ sơ`);
  setText("k-p50", hours(f.handover_hours_p50));
  setText("k-p95", `p95: ${hours(f.handover_hours_p95)} · ${count(f.handed_over)} hồ sơ`);
  setText("k-on-time", percent(f.on_time_share));
  setText("k-on-time-sub", `${count(f.handed_over_on_time)} / ${count(f.with_due_date)} hồ sơ`);
  setText("k-early", percent(f.early_share));
  setText("k-early-sub", `${count(f.handed_over_early)} / ${count(f.with_due_date)} hồ sơ`);
  setText("k-green", percent(f.green_lane_share));
  setText("k-green-sub", `${count(f.green_lane)} / ${count(f.received)} hồ sơ`);
  setText("k-overdue", count(f.overdue_now));
  setText("k-overdue-sub", `chưa bàn giao, tính đến ${day(data.today)}`);
  $("card-overdue").classList.toggle("alarm", f.overdue_now > 0);
}

function cell(row, text, header = false) {
  const element = document.createElement(header ? "th" : "td");
  if (header) element.scope = "row";
  element.textContent = text;
  row.append(element);
  return element;
}

function tableRow(f, name) {
  const row = document.createElement("tr");
  const c = f.received_by_channel;
  cell(row, shortName(name), true).title = name;
  for (const text of [
    count(f.received),
    count(c.counter),
    count(c.online),
    count(c.postal),
    count(f.pages_digitized),
    percent(f.fields_unreviewed_share),
    ratio(f.corrections_per_dossier),
    count(f.handed_over),
    hours(f.handover_hours_p50, false),
    hours(f.handover_hours_p95, false),
    percent(f.early_share),
    percent(f.on_time_share),
    percent(f.green_lane_share),
    count(f.overdue_now),
  ]) {
    cell(row, text);
  }
  if (f.overdue_now > 0) row.lastChild.classList.add("alarm");
  return row;
}

let shown = null; // the figures on screen: drawn again when the window changes size

function render(data) {
  shown = data;
  const selected = data.service_point ? data.points[0] : data.city;
  $("scope").textContent = data.service_point ? selected.name : "Toàn thành phố";
  $("period").textContent = `${day(data.date_from)} – ${day(data.date_to)}`;
  renderCards(selected, data);
  $("points").tBodies[0].replaceChildren(...data.points.map((p) => tableRow(p, p.name)));
  $("points").tFoot.replaceChildren(tableRow(data.city, "Toàn thành phố"));
  drawDays($("chart-days"), data.series, "cap-days");
  drawPointBars($("chart-on-time"), data.points, "cap-on-time");
  drawPointTimes($("chart-time"), data.points, "cap-time");
  $("status").textContent =
    `Đã cập nhật: ${$("scope").textContent}, ${$("period").textContent}, ${count(selected.received)} hồ sơ tiếp nhận.`;
}

function choosePreset(name) {
  const [first, last] = presetPeriod(name);
  fromInput.value = first;
  toInput.value = last;
  load();
}

function typing(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement;
}

const SHORTCUTS = {
  1: () => choosePreset("today"),
  2: () => choosePreset("week"),
  3: () => choosePreset("month"),
  4: () => choosePreset("last-month"),
  t: () => fromInput.focus(),
  d: () => toInput.focus(),
  p: () => pointSelect.focus(),
  b: () => $("table-scroll").focus(),
  e: () => $("export-xlsx").click(),
  c: () => $("export-csv").click(),
};

function onKey(event) {
  if (event.ctrlKey || event.altKey || event.metaKey) return;
  if (event.key === "Escape" && typing(event.target)) {
    event.target.blur();
    return;
  }
  if (typing(event.target)) return;
  const action = SHORTCUTS[event.key.toLowerCase()];
  if (!action) return;
  event.preventDefault();
  action();
}

async function signOut() {
  try {
    await del("session");
  } catch (error) {
    if (error.status !== 401) {
      showMessage(error.message);
      return;
    }
  }
  location.assign("/signin?reason=signedout");
}

async function fillPoints(data) {
  for (const p of data.points) pointSelect.add(new Option(p.name, p.code));
}

async function boot() {
  whenSignedOut((error) => signIn(error.code === "SESSION_EXPIRED" ? "expired" : ""));
  let session;
  try {
    session = await openSession();
  } catch (error) {
    if (error.status !== 401) showMessage(error.message);
    return;
  }
  $("who").textContent = session.full_name || session.username;
  $("signout").addEventListener("click", signOut);
  if (!DASHBOARD_ROLES.has(session.role)) {
    $("dash").hidden = true;
    $("refused").hidden = false;
    document.body.classList.add("ready");
    $("refused-home").focus();
    return;
  }
  setCsrfToken(session.csrf_token);
  const asked = new URLSearchParams(location.search);
  fromInput.value = asked.get("from") || "";
  toInput.value = asked.get("to") || "";
  try {
    const first = await get(`dashboard?${query()}`); // every point, for the choice
    await fillPoints(first);
    today = first.today;
  } catch (error) {
    showMessage(error.message);
  }
  if (asked.get("service_point")) pointSelect.value = asked.get("service_point");
  for (const button of document.querySelectorAll("[data-preset]")) {
    button.addEventListener("click", () => choosePreset(button.dataset.preset));
  }
  // A date typed digit by digit is briefly another valid date: wait for the typing to stop.
  let typingTimer = 0;
  const soon = () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(load, 400);
  };
  fromInput.addEventListener("change", soon);
  toInput.addEventListener("change", soon);
  pointSelect.addEventListener("change", load);
  document.addEventListener("keydown", onKey);
  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => shown && render(shown), 150);
  });
  await load();
  document.body.classList.add("ready");
}

boot();
