// One dossier under review (/kiem-tra/{code}): claimed on opening (renewed while the reviewer
// works, released on leaving), its fields beside the page, the document fixes, send-back and
// approval (Ctrl+Enter, only when no field is left doubtful).

import { clerkActive, del, get, post } from "./api.js";
import { ddmmyyyy, el } from "./format.js";
import { openDocuments, setupDocuments } from "./review-documents.js";
import {
  currentComponentId,
  drained,
  firstUnresolved,
  focusEditor,
  savesInFlight,
  selectKey,
  setupFields,
  showFields,
  unresolvedCount,
} from "./review-fields.js";
import { channelBadge, dueWords } from "./review-queue.js";
import { openSendBack, sendBackOpen, setupSendBack } from "./review-sendback.js";
import { focusViewer, forgetPage, setupViewer, viewerHasFocus } from "./review-viewer.js";

const $ = (id) => document.getElementById(id);
const RENEW_MS = 4 * 60 * 1000; // the claim lapses after settings.review.claim_idle_minutes (15)
const READING_POLL_MS = 2000;
const REVIEWABLE = new Set(["needs_review", "needs_attention"]);
const READING = new Set(["queued", "processing"]);

let ref = "";
let dossier = null; // DossierPublic
let holding = false; // this reviewer holds the claim
let stopped = false; // the claim was lost: nothing more is sent
let approving = false;
let dossierData = null; // the last ReviewDossierPublic

function message(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = !text;
}

function announce(text) {
  const live = $("live");
  live.append(el("p", { text }));
  while (live.children.length > 4) live.firstElementChild.remove();
}

function failed(error) {
  if (error.status === 401) return;
  if (error.code === "DOSSIER_CLAIMED") claimLost(error);
  else message(error.message || String(error));
}

// --- the claim ----------------------------------------------------------------------------------

async function claim() {
  await post(`review/dossiers/${encodeURIComponent(ref)}/claim`);
  holding = true;
}

let workedAt = Date.now(); // the reviewer's last key or click here
for (const name of ["keydown", "pointerdown"]) {
  window.addEventListener(name, () => (workedAt = Date.now()), { capture: true, passive: true });
}

/** Renew the claim only if the reviewer did something since the last renewal: an unattended
 * screen lets it lapse (settings.review.claim_idle_minutes), and others may take the dossier. */
async function renew() {
  if (!holding || stopped || !clerkActive() || Date.now() - workedAt > RENEW_MS) return;
  try {
    await claim();
  } catch (error) {
    failed(error);
  }
}

function claimLost(error) {
  stopped = true;
  holding = false;
  showRefused(error.message);
}

/** Another reviewer has the dossier: say who, and offer the way back. Nothing is editable. */
function showRefused(text) {
  document.body.classList.add("refused");
  $("review-work").hidden = true;
  $("keys-dossier").hidden = true;
  $("approve").disabled = true;
  $("send-back").disabled = true;
  const back = el("a", { href: "/kiem-tra", class: "button primary", id: "refused-back", text: "Về hàng chờ" });
  const box = $("message");
  box.className = "message error refused-box";
  box.replaceChildren(el("p", { text }), el("p", {}, back));
  box.hidden = false;
  $("dossier-view").append(box); // out of the hidden work area
  back.focus();
}

/** The tab closed or went elsewhere while holding the claim: give it up on the way out (a
 * keepalive request outlives the page), rather than leave it to lapse. */
function releaseOnExit(csrfToken) {
  window.addEventListener("pagehide", () => {
    if (!holding || !ref) return;
    holding = false;
    fetch(`/api/v1/review/dossiers/${encodeURIComponent(ref)}/claim`, {
      method: "DELETE",
      keepalive: true,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken },
    }).catch(() => {});
  });
}

/** Leave the dossier (back to the queue, sign-out): free it for others at once. */
export async function leaveDossier() {
  if (!holding || !ref) return;
  holding = false;
  try {
    await drained();
    await del(`review/dossiers/${encodeURIComponent(ref)}/claim`);
  } catch {
    // it lapses by itself
  }
}

// --- loading ------------------------------------------------------------------------------------

function showHead(d) {
  dossier = d;
  $("d-code").textContent = d.code || d.id;
  const due = dueWords(daysUntil(d.due_date));
  $("d-meta").replaceChildren(
    channelBadge(d.channel),
    el("span", { text: ` ${d.procedure_name || d.procedure_code}` }),
    d.applicant ? el("span", { text: ` · ${d.applicant.full_name}` }) : null,
    d.due_date ? el("span", { class: due.late ? "due late" : "due" }, ` · Hẹn trả ${ddmmyyyy(d.due_date)}`, due.text ? ` (${due.text})` : "") : null,
  );
  $("d-state").textContent = d.state_label;
  document.title = `${d.code || d.id} — Kiểm tra hồ sơ`;
}

function daysUntil(isoDate) {
  if (!isoDate) return null;
  const today = new Date(new Date().toLocaleString("en-US", { timeZone: "Asia/Ho_Chi_Minh" }));
  const [y, m, d] = isoDate.split("-").map(Number);
  const due = Date.UTC(y, m - 1, d);
  const now = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate());
  return Math.round((due - now) / 86_400_000);
}

async function load() {
  dossierData = await get(`review/dossiers/${encodeURIComponent(ref)}`);
  showReview(dossierData);
}

/** A dossier's review view (after a load or a document fix). */
function showReview(data) {
  showHead(data.dossier);
  if (READING.has(data.dossier.state)) {
    reading();
    return;
  }
  $("reading").hidden = true;
  $("review-work").hidden = false;
  const editable = REVIEWABLE.has(data.dossier.state) && holding;
  showFields(ref, data, { editable });
  if (!REVIEWABLE.has(data.dossier.state)) message(`Hồ sơ ở trạng thái “${data.dossier.state_label}”: chỉ xem.`, "info");
  approveState();
}

/** The dossier is being read (again): wait for it, then show it afresh. */
async function reading() {
  $("reading").hidden = false;
  $("review-work").hidden = true;
  approveState();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, READING_POLL_MS));
    try {
      const d = await get(`dossiers/${encodeURIComponent(ref)}`);
      showHead(d);
      const p = d.progress;
      $("reading-text").textContent = `Đã đọc ${p.pages_done}/${p.pages_total} trang.`;
      $("reading-progress").max = Math.max(p.pages_total, 1);
      $("reading-progress").value = p.pages_done;
      if (!READING.has(d.state)) break;
    } catch (error) {
      if (error.status === 401) return;
    }
  }
  if (REVIEWABLE.has(dossier.state) && !holding && !stopped) {
    try {
      await claim();
    } catch (error) {
      failed(error);
      return;
    }
  }
  forgetPage();
  await load().catch(failed);
  announce("Hồ sơ đã đọc xong, sẵn sàng kiểm tra.");
}

// --- approval -----------------------------------------------------------------------------------

function approveState() {
  const button = $("approve");
  const why = $("approve-why");
  let reason = "";
  if (stopped) reason = "Hồ sơ đang do người khác kiểm tra.";
  else if (!dossier || READING.has(dossier.state)) reason = "Hồ sơ đang được đọc.";
  else if (dossier.state === "needs_attention") reason = "Có trang chưa đọc được: cần xử lý trước khi duyệt.";
  else if (dossier.state !== "needs_review") reason = `Hồ sơ đang “${dossier.state_label}”.`;
  else if (savesInFlight()) reason = "Đang lưu…";
  else if (unresolvedCount()) reason = `Còn ${unresolvedCount()} trường cần kiểm tra.`;
  button.disabled = Boolean(reason) || approving;
  why.textContent = reason || "Đã kiểm tra hết: có thể duyệt.";
  why.classList.toggle("ready", !reason);
  $("send-back").disabled = stopped || !dossier || !REVIEWABLE.has(dossier.state);
}

async function approve() {
  if (approving || stopped) return;
  await drained();
  approveState();
  if (unresolvedCount()) {
    message(`Chưa duyệt được: còn ${unresolvedCount()} trường cần kiểm tra.`, "error");
    firstUnresolved();
    return;
  }
  if ($("approve").disabled) {
    message($("approve-why").textContent, "error");
    return;
  }
  approving = true;
  approveState();
  message("Đang duyệt và lập gói bàn giao…", "info");
  try {
    const done = await post(`review/dossiers/${encodeURIComponent(ref)}/approve`);
    holding = false; // approval releases the claim
    location.assign(`/kiem-tra?da-duyet=${encodeURIComponent(done.code || ref)}`);
  } catch (error) {
    approving = false;
    failed(error);
    if (error.code === "FIELDS_UNRESOLVED") await load().catch(failed);
    approveState();
  }
}

// --- keys ---------------------------------------------------------------------------------------

function shortcuts(event) {
  if (document.querySelector("dialog[open]") || stopped) return; // a dialog has the keyboard
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    approve();
  } else if (event.key === "F4") {
    event.preventDefault();
    openDocuments(currentComponentId());
  } else if (event.key === "F8") {
    event.preventDefault();
    if (!$("send-back").disabled) openSendBack();
  } else if (event.key === "F6") {
    event.preventDefault();
    if (viewerHasFocus()) focusEditor();
    else focusViewer();
  }
}

// --- start --------------------------------------------------------------------------------------

export async function showDossier(code, session) {
  ref = code;
  releaseOnExit(session.csrf_token);
  $("dossier-view").hidden = false;
  $("keys-dossier").hidden = false;
  $("d-code").textContent = code;
  setupViewer(selectKey);
  setupFields({ changed: approveState, announce, message, claimLost, allDone });
  setupDocuments({
    ref: () => ref,
    dossier: () => dossierData,
    changed: documentsChanged,
    reread: startReading,
    closed: focusEditor,
    failed,
  });
  setupSendBack({ ref: () => ref, dossier: () => dossier, done: () => (holding = false), failed });
  $("approve").addEventListener("click", approve);
  $("send-back").addEventListener("click", openSendBack);
  $("documents").addEventListener("click", () => openDocuments(currentComponentId()));
  $("to-queue").addEventListener("click", async (event) => {
    event.preventDefault();
    await leaveDossier();
    location.assign("/kiem-tra");
  });
  document.addEventListener("keydown", shortcuts);
  try {
    await claim();
  } catch (error) {
    if (error.status === 401) return;
    if (error.code === "DOSSIER_CLAIMED") {
      stopped = true;
      showRefused(error.message);
      return;
    }
    // Not claimable (being read, already approved or sent back): shown read-only.
  }
  try {
    await load();
  } catch (error) {
    failed(error);
    return;
  }
  setInterval(renew, RENEW_MS);
  if (!sendBackOpen()) focusEditor();
}

function documentsChanged(data) {
  dossierData = data;
  forgetPage();
  showReview(data);
  announce("Đã lưu tài liệu; các trường đã được đọc lại.");
}

function startReading(d) {
  showHead(d);
  forgetPage();
  reading();
}

async function allDone() {
  await drained();
  approveState();
  const left = unresolvedCount();
  if (!left) {
    message("Đã kiểm tra hết các trường. Bấm Ctrl+Enter để duyệt hồ sơ.", "info");
    announce("Đã kiểm tra hết các trường. Bấm Ctrl+Enter để duyệt.");
  }
}
