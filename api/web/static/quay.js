// The counter screen "Tiếp nhận hồ sơ": session, shortcuts, the draft on this workstation,
// checklist, submit and receipt. What the clerk typed is kept in sessionStorage so that an
// expired session (sign in again) or a reload loses nothing. A dossier a reviewer sent back
// (sentback.js) opens here like a draft: the clerk adds the missing pages and submits it again.

import {
  ApiError,
  clerkActive,
  del,
  get,
  openSession,
  patch,
  post,
  printFromFrame,
  put,
  setCsrfToken,
  whenSignedOut,
} from "./api.js";
import {
  FIELDS,
  applicantForApi,
  applicantValues,
  dialogOpen,
  focusQr,
  markInvalid,
  offerQr,
  setApplicant,
  setupApplicant,
} from "./applicant.js";
import { showChecklist, showRequired } from "./checklist.js";
import { ddmmyyyy, el } from "./format.js";
import { focusPages, pageCount, render, setDraft, setupPages, uploading, warningCount } from "./pages.js";
import { currentProcedure, focusProcedure, lockProcedure, setupProcedure, showProcedure } from "./procedure.js";
import { addRecent, receiptUrl, recentItems, setupRecent } from "./recent.js";
import { dropSentBack, focusSentBack, markOpen, refreshSentBack, setupSentBack } from "./sentback.js";

const STORE = "sohoa.quay.v1";
const $ = (id) => document.getElementById(id);
const alertBox = $("alert");
const alertText = $("alert-text");
const live = $("live");
const reasonBox = $("reason-box");
const reason = $("reason");
const submitButton = $("submit");
const startButton = $("start");
const draftInfo = $("draft-info");
const done = $("done");

const FIELD_LABELS = {
  full_name: "Họ và tên",
  id_number: "Số định danh",
  date_of_birth: "Ngày sinh",
  address: "Địa chỉ",
  phone: "Điện thoại",
};

let session = null;
let draft = null; // {id, sent: JSON of the applicant as last sent, supplement: {code, items, note} when sent back}
let offered = []; // component ids whose card QR was offered
let starting = null;
let submitting = false;
let mutations = 0; // actions in flight: a poll answer may predate them
let epoch = 0;
let polling = false;
let lastSignature = "";

// --- messages -------------------------------------------------------------------------------

function showError(message) {
  alertText.textContent = message;
  alertBox.hidden = false;
}

function clearError() {
  alertBox.hidden = true;
  alertText.textContent = "";
}

function failed(error, prefix = "") {
  if (error instanceof ApiError && error.status === 401) return; // on its way to /signin
  if (error instanceof ApiError && error.status === 422 && markInvalid(error)) {
    const names = ((error.body && error.body.errors) || [])
      .map((item) => FIELDS.find((name) => (item.loc || []).includes(name)))
      .filter(Boolean)
      .map((name) => FIELD_LABELS[name]);
    showError(`${prefix}Thông tin chưa đúng: ${[...new Set(names)].join(", ")}. Sửa ô được đánh dấu rồi thử lại.`);
    return;
  }
  showError(prefix + (error.message || String(error)));
}

function announce(text) {
  live.append(el("p", { text }));
  while (live.children.length > 4) live.firstElementChild.remove();
}

// --- what survives a new sign-in -----------------------------------------------------------

function save() {
  if (!session) return;
  const snapshot = {
    user: session.username,
    procedure: currentProcedure(),
    applicant: applicantValues(),
    draft,
    offered,
    reason: reason.value,
    reasonShown: !reasonBox.hidden,
    recent: recentItems(),
  };
  sessionStorage.setItem(STORE, JSON.stringify(snapshot));
}

function restore() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
  } catch {
    saved = null;
  }
  if (!saved || saved.user !== session.username) {
    sessionStorage.removeItem(STORE);
    return {};
  }
  return saved;
}

function signIn(reasonWord) {
  save();
  const query = new URLSearchParams({ next: "/quay" });
  if (reasonWord) query.set("reason", reasonWord);
  if (session) query.set("user", session.username);
  location.assign(`/signin?${query}`);
}

// --- the draft --------------------------------------------------------------------------------

async function ensureDraft() {
  if (draft) return draft.id;
  if (!starting) starting = startDraft().finally(() => (starting = null));
  return starting;
}

async function startDraft() {
  const procedure = currentProcedure();
  if (!procedure) {
    showError("Chọn thủ tục trước (F2).");
    focusProcedure();
    return null;
  }
  const applicant = applicantForApi();
  if (!applicant.full_name) {
    showError("Nhập họ và tên người nộp, hoặc quét mã QR trên thẻ (F3).");
    $("full_name").focus();
    return null;
  }
  startButton.disabled = true;
  try {
    const dossier = await post("dossiers", {
      procedure_code: procedure.code,
      service_point_code: session.service_point,
      applicant,
    });
    clearError();
    draft = { id: dossier.id, sent: JSON.stringify(applicant) };
    offered = [];
    showDraft(dossier);
    save();
    announce("Đã tạo hồ sơ. Thêm trang bằng kéo thả, chọn tệp hoặc máy quét.");
    await openOnWorkstation(dossier.id);
    return dossier.id;
  } catch (error) {
    failed(error);
    return null;
  } finally {
    startButton.disabled = false;
  }
}

async function openOnWorkstation(id, quiet = false) {
  try {
    await put(`counter/workstations/${encodeURIComponent(session.username)}`, { dossier: id });
  } catch (error) {
    // A sent-back dossier may not take the scan station's pages: the picker and drop still do.
    if (quiet && error.status !== 401) announce("Máy quét chưa gửi trang vào hồ sơ này; thêm trang bằng chọn tệp hoặc kéo thả.");
    else failed(error, "Máy quét chưa gửi được trang vào hồ sơ này: ");
  }
}

function showDraft(dossier) {
  const procedure = currentProcedure();
  setDraft(dossier.id, (procedure && procedure.required_documents) || []);
  lockProcedure(true);
  startButton.hidden = true;
  showDraftNote(draft && draft.supplement);
  apply(dossier);
}

function showDraftNote(supplement) {
  const note = $("draft-note");
  note.hidden = false;
  note.classList.toggle("supplementing", Boolean(supplement));
  note.replaceChildren(
    ...(supplement
      ? [`Đang nhận bổ sung hồ sơ ${supplement.code}: thêm trang còn thiếu rồi nộp lại bằng `, el("kbd", { text: "F8" }), "."]
      : ["Đang nhận giấy tờ — nộp bằng ", el("kbd", { text: "F8" }), ". Sửa người nộp vẫn được."]),
  );
}

/** What the reviewer asked for, above the pages while the clerk adds them (null: hide). */
function showSupplement(supplement) {
  const box = $("supplement");
  box.hidden = !supplement;
  lockApplicant(Boolean(supplement));
  markOpen(supplement ? supplement.code : null);
  if (!supplement) return;
  $("supplement-title").textContent = `Hồ sơ ${supplement.code} trả về — cần bổ sung:`;
  $("supplement-asks").replaceChildren(...(supplement.items || []).map((text) => el("li", { text })));
  const note = $("supplement-note");
  note.hidden = !supplement.note;
  note.textContent = supplement.note ? `Ghi chú của cán bộ kiểm tra: ${supplement.note}` : "";
}

/** A sent-back dossier keeps the applicant it was received with: the form is read-only. */
function lockApplicant(locked) {
  for (const name of FIELDS) $(name).readOnly = locked;
  $("qr").disabled = locked;
  $("qr-image-btn").disabled = locked;
}

/** A fresh view of the draft (poll or action): pages, card QR codes, checklist when changed. */
function apply(dossier) {
  if (!draft || dossier.id !== draft.id) return;
  render(dossier.components);
  for (const component of dossier.components) {
    if (component.qr_applicant && !offered.includes(component.id)) qrFound(component);
  }
  const signature = JSON.stringify(
    dossier.components.map((c) => [
      c.id,
      c.position,
      c.rotation,
      c.declared_kind,
      c.declared_document,
      c.page_checks || c.pages,
      c.parts,
    ]),
  );
  if (signature !== lastSignature) {
    lastSignature = signature;
    const ref = draft.id;
    showChecklist(ref, () => draft && draft.id === ref).catch(failed);
  }
  updateDraftInfo();
}

function updateDraftInfo() {
  if (!draft) {
    draftInfo.replaceChildren();
    return;
  }
  const warnings = warningCount();
  draftInfo.replaceChildren(
    el("span", { text: `${pageCount()} trang` }),
    el(
      "span",
      { class: warnings ? "warn-count" : "ok-count" },
      el("span", { "aria-hidden": "true", text: warnings ? "⚠ " : "✓ " }),
      warnings ? `${warnings} cảnh báo` : "không có cảnh báo",
    ),
  );
}

async function poll() {
  if (!draft || polling || mutations > 0 || document.hidden || !clerkActive()) return;
  polling = true;
  const seen = epoch;
  try {
    const dossier = await get(`dossiers/${encodeURIComponent(draft.id)}`);
    if (seen === epoch && mutations === 0) apply(dossier);
  } catch (error) {
    if (error.status !== 401 && error.status !== 0) failed(error);
  } finally {
    polling = false;
  }
}

async function refresh() {
  if (!draft) return;
  epoch += 1;
  try {
    apply(await get(`dossiers/${encodeURIComponent(draft.id)}`));
  } catch (error) {
    failed(error);
  }
}

function qrFound(component) {
  offered.push(component.id);
  save();
  if (draft && draft.supplement) return; // the applicant is the one received before
  const data = component.qr_applicant;
  const same = data.id_number && data.id_number === applicantValues().id_number;
  if (same) return; // already this citizen
  offerQr(data, `Tìm thấy mã QR trên tệp “${component.original_filename || component.filename}”.`);
}

async function applicantConfirmed() {
  save();
  if (draft) {
    focusPages(); // first: the clerk goes on while the applicant is saved
    await syncApplicant().catch(failed);
  } else if (!currentProcedure()) {
    focusProcedure();
  } else {
    startButton.focus();
  }
}

async function syncApplicant() {
  if (!draft) return;
  const applicant = applicantForApi();
  const sent = JSON.stringify(applicant);
  if (sent === draft.sent) return;
  await patch(`dossiers/${encodeURIComponent(draft.id)}`, { applicant });
  draft.sent = sent;
  save();
}

// --- a dossier sent back for papers ---------------------------------------------------------

async function openSupplement(dossier, request) {
  if (draft && draft.id === dossier.id) {
    focusPages();
    return;
  }
  if (draft) {
    showError("Đang nhận một hồ sơ khác: nộp hồ sơ đó (F8) trước khi nhận bổ sung.");
    return;
  }
  try {
    const fresh = await get(`dossiers/${encodeURIComponent(dossier.id)}`);
    if (fresh.state !== "sent_back") {
      showError(`Hồ sơ ${fresh.code} không còn chờ bổ sung (${fresh.state_label}).`);
      refreshSentBack();
      return;
    }
    const procedure = await procedureOf(fresh);
    clearError();
    done.hidden = true;
    showProcedure(procedure);
    showRequired(procedure);
    setApplicant(fresh.applicant || {});
    const supplement = { code: fresh.code, items: request.items || [], note: request.note || "" };
    draft = { id: fresh.id, sent: JSON.stringify(applicantForApi()), supplement };
    offered = fresh.components.map((c) => c.id); // the card QR on earlier pages was settled then
    lastSignature = "";
    showSupplement(supplement);
    showDraft(fresh);
    save();
    announce(`Đã mở hồ sơ ${fresh.code} để nhận bổ sung. Thêm trang còn thiếu rồi nộp lại bằng F8.`);
    focusPages();
    await openOnWorkstation(fresh.id, true);
  } catch (error) {
    failed(error, "Không mở được hồ sơ trả về: ");
  }
}

/** The dossier's procedure as the catalogue search answers it (its checklist), or what the dossier says. */
async function procedureOf(dossier) {
  const found = await get(`procedures?q=${encodeURIComponent(dossier.procedure_code)}`);
  const same = (found || []).find((p) => p.code === dossier.procedure_code);
  return same || { code: dossier.procedure_code, name: dossier.procedure_name || dossier.procedure_code, required_documents: [] };
}

// --- submit and receipt ---------------------------------------------------------------------

async function submit() {
  if (submitting) return;
  if (!draft) {
    showError("Chưa có hồ sơ để nộp: chọn thủ tục, nhập người nộp và thêm trang trước.");
    return;
  }
  if (uploading()) {
    showError("Đang tải trang lên; đợi xong rồi nộp.");
    return;
  }
  const why = reason.value.trim();
  submitting = true;
  submitButton.disabled = true;
  try {
    await syncApplicant();
    const body = !reasonBox.hidden && why ? { missing_reason: why } : undefined;
    const dossier = await post(`dossiers/${encodeURIComponent(draft.id)}/submit`, body);
    received(dossier);
  } catch (error) {
    if (error.code === "COMPONENTS_MISSING") {
      showError(error.message);
      reasonBox.hidden = false;
      reason.focus();
      save();
    } else if (error.code === "APPLICANT_MISSING") {
      showError(error.message);
      $("full_name").focus();
    } else {
      failed(error);
    }
  } finally {
    submitting = false;
    submitButton.disabled = false;
  }
}

function received(dossier) {
  const name = applicantValues().full_name;
  const supplemented = Boolean(draft && draft.supplement);
  clearError();
  addRecent(dossier, name);
  printReceipt(dossier.code);
  if (supplemented) {
    dropSentBack(dossier.code);
    refreshSentBack();
  }
  done.replaceChildren(
    el("p", {}, supplemented ? "Đã nhận bổ sung hồ sơ" : "Đã tiếp nhận hồ sơ", el("strong", { class: "code", text: dossier.code })),
    el("p", {}, supplemented ? "Hẹn trả kết quả mới: " : "Hẹn trả kết quả: ", el("strong", { text: ddmmyyyy(dossier.due_date) || "—" })),
    el(
      "p",
      { class: "done-actions" },
      el("a", { href: receiptUrl(dossier.code), target: "_blank", rel: "noopener", class: "button", text: "In phiếu tiếp nhận" }),
      el("button", { type: "button", id: "next-citizen", onclick: nextCitizen, text: "Người tiếp theo" }),
    ),
  );
  done.hidden = false;
  resetForm();
  put(`counter/workstations/${encodeURIComponent(session.username)}`, { dossier: null }).catch(() => {});
  const what = supplemented ? "Đã nhận bổ sung hồ sơ" : "Đã tiếp nhận hồ sơ";
  announce(`${what} ${dossier.code}, hẹn trả ${ddmmyyyy(dossier.due_date)}. Sẵn sàng cho người tiếp theo.`);
  save();
  focusProcedure();
}

function printReceipt(code) {
  return printPdf(receiptUrl(code), "Chưa in được phiếu tiếp nhận: ");
}

/** Print a PDF from the API (the receipt, form 02) through the hidden frame: one action. */
async function printPdf(url, failedPrefix, after = focusProcedure) {
  try {
    await printFromFrame(url, $("print-frame"), after);
  } catch (error) {
    failed(error, failedPrefix);
  }
}

function printSupplementRequest(url) {
  const back = document.activeElement;
  printPdf(url, "Chưa in được phiếu yêu cầu bổ sung: ", () => back && back.isConnected && back.focus());
  announce("Đang in phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.");
}

function resetForm() {
  draft = null;
  offered = [];
  lastSignature = "";
  setDraft(null);
  lockProcedure(false);
  showProcedure(null);
  $("proc-q").value = "";
  setApplicant({});
  $("qr").value = "";
  reason.value = "";
  reasonBox.hidden = true;
  startButton.hidden = false;
  $("draft-note").hidden = true;
  showSupplement(null);
  showRequired(null);
  updateDraftInfo();
}

function nextCitizen() {
  done.hidden = true;
  clearError();
  focusProcedure();
}

// --- keys -------------------------------------------------------------------------------------

function shortcuts(event) {
  if (dialogOpen()) return; // the dialog has the keyboard (Enter, Escape)
  const keys = {
    F2: () => (draft ? showError("Hồ sơ đã được tạo với thủ tục này; nộp hoặc làm hồ sơ mới để đổi thủ tục.") : focusProcedure()),
    F3: focusQr,
    F4: async () => {
      if (await ensureDraft()) focusPages();
    },
    F8: submit,
    F9: focusSentBack,
  };
  const action = keys[event.key];
  if (!action || event.altKey || event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  action();
}

// --- start --------------------------------------------------------------------------------------

async function boot() {
  whenSignedOut((error) => signIn(error.code === "SESSION_EXPIRED" ? "expired" : ""));
  try {
    session = await openSession();
  } catch (error) {
    if (error.status !== 401) showError(error.message);
    return;
  }
  setCsrfToken(session.csrf_token);
  $("who").textContent = `${session.full_name || session.username} · ${session.service_point_name || session.service_point || ""}`;
  if (session.role !== "counter") {
    showError("Tài khoản này không phải tài khoản cán bộ tiếp nhận; màn hình chỉ để xem.");
  }
  const saved = restore();
  setupProcedure({
    picked: (procedure) => {
      showRequired(procedure);
      save();
      focusQr();
    },
    failed,
  });
  setupApplicant({
    changed: save,
    confirmed: applicantConfirmed,
    failed,
    busy: (text) => text && announce(text),
  });
  setupPages({
    ensureDraft,
    changed: refresh,
    mutating: (on) => {
      mutations += on ? 1 : -1;
      epoch += 1;
    },
    failed,
    announce,
    qrFound,
  });
  setupRecent(saved.recent, save);
  if (session.role === "counter") {
    setupSentBack({ open: openSupplement, print: printSupplementRequest, announce, failed });
  }

  $("alert-close").addEventListener("click", clearError);
  startButton.addEventListener("click", async () => {
    if (await ensureDraft()) focusPages();
  });
  submitButton.addEventListener("click", submit);
  reason.addEventListener("input", save);
  $("signout").addEventListener("click", signOut);
  document.addEventListener("keydown", shortcuts);
  window.addEventListener("pagehide", save);

  showProcedure(saved.procedure || null);
  showRequired(saved.procedure || null);
  setApplicant(saved.applicant || {});
  reason.value = saved.reason || "";
  reasonBox.hidden = !saved.reasonShown;
  offered = saved.offered || [];
  if (saved.draft) await resume(saved.draft);
  setInterval(poll, 1000);
  if (!draft) focusProcedure();
  document.body.classList.add("ready");
}

async function resume(saved) {
  try {
    const dossier = await get(`dossiers/${encodeURIComponent(saved.id)}`);
    if (dossier.state !== (saved.supplement ? "sent_back" : "draft")) {
      resetForm(); // submitted meanwhile (another tab): the screen starts afresh
      save();
      return;
    }
    draft = saved;
    showSupplement(saved.supplement || null);
    showDraft(dossier);
    await openOnWorkstation(dossier.id, Boolean(saved.supplement));
    focusPages();
  } catch (error) {
    failed(error, "Không mở lại được hồ sơ đang nhận: ");
  }
}

async function signOut() {
  if (draft && pageCount() && !window.confirm("Hồ sơ đang nhận chưa nộp. Vẫn đăng xuất?")) return;
  try {
    if (draft) await put(`counter/workstations/${encodeURIComponent(session.username)}`, { dossier: null });
  } catch {
    // signing out matters more
  }
  try {
    await del("session");
  } catch (error) {
    if (error.status !== 401) {
      failed(error);
      return;
    }
  }
  sessionStorage.removeItem(STORE);
  location.assign("/signin?reason=signedout");
}

boot();
