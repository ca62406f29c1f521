// "Trả về bổ sung" (F8): instead of approving, the reviewer lists what is missing or wrong (one
// line each) and a note; the dossier goes back to its service point's counter, and the form 02
// "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ" is offered to print for the citizen.

import { post, printFromFrame } from "./api.js";

const $ = (id) => document.getElementById(id);

let hooks = null;
let sentCode = "";

export function setupSendBack(given) {
  hooks = given;
  $("sb-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("sb-form").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
    }
  });
  $("sb-cancel").addEventListener("click", () => $("send-back-dialog").close());
  $("sb-items").addEventListener("input", () => ($("sb-error").textContent = ""));
  $("sb-print").addEventListener("click", printForm);
  $("sb-queue").addEventListener("click", toQueue);
  $("send-back-dialog").addEventListener("close", () => {
    if (sentCode) toQueue();
  });
}

export function sendBackOpen() {
  return $("send-back-dialog").open;
}

export function openSendBack() {
  if ($("send-back").disabled) return;
  $("sb-form").hidden = false;
  $("sb-done").hidden = true;
  $("sb-error").textContent = "";
  $("send-back-dialog").showModal();
  $("sb-items").focus();
}

function toQueue() {
  location.assign(`/kiem-tra?da-tra-ve=${encodeURIComponent(sentCode)}`);
}

function formUrl(code) {
  return `/api/v1/dossiers/${encodeURIComponent(code)}/supplement-request.pdf`;
}

async function send() {
  const items = $("sb-items")
    .value.split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  if (!items.length) {
    $("sb-error").textContent = "Ghi ít nhất một giấy tờ hoặc thông tin cần bổ sung (mỗi dòng một mục).";
    $("sb-items").focus();
    return;
  }
  const note = $("sb-note").value.trim();
  const button = $("sb-submit");
  button.disabled = true;
  $("sb-error").textContent = "";
  try {
    const dossier = await post(`review/dossiers/${encodeURIComponent(hooks.ref())}/send-back`, {
      items,
      note: note || null,
    });
    hooks.done();
    sentCode = dossier.code || hooks.ref();
    $("sb-form").hidden = true;
    $("sb-done").hidden = false;
    $("sb-done-text").textContent =
      `Đã trả hồ sơ ${sentCode} về quầy ${dossier.service_point_code}. In phiếu yêu cầu bổ sung để giao cho công dân.`;
    $("sb-pdf").href = formUrl(sentCode);
    $("sb-print").focus();
  } catch (error) {
    if (error.status === 401) return;
    $("sb-error").textContent = error.message;
    if (error.code === "DOSSIER_CLAIMED") hooks.failed(error);
  } finally {
    button.disabled = false;
  }
}

/** The form printed from a hidden frame, as the counter prints its receipt. */
async function printForm() {
  try {
    await printFromFrame(formUrl(sentCode), $("print-frame"), () => $("sb-queue").focus());
  } catch (error) {
    if (error.status !== 401) $("sb-done-text").textContent = `Chưa in được phiếu: ${error.message}`;
  }
}
