// Step 2: the applicant, typed or read from the card's QR code (a handheld scanner types the
// payload into #qr then Enter; or a photo of the card). Nothing read is used before the clerk
// confirms it in the dialog.

import { post } from "./api.js";
import { ddmmyyyy, el } from "./format.js";

export const FIELDS = ["full_name", "id_number", "date_of_birth", "address", "phone"];
const LABELS = {
  full_name: "Họ và tên",
  id_number: "Số định danh",
  old_id_number: "Số CMND cũ",
  date_of_birth: "Ngày sinh",
  sex: "Giới tính",
  address: "Địa chỉ",
  issued_on: "Ngày cấp thẻ",
};

const qr = document.getElementById("qr");
const imageButton = document.getElementById("qr-image-btn");
const imageInput = document.getElementById("qr-image");
const dialog = document.getElementById("qr-dialog");
const dataList = document.getElementById("qr-data");
const problems = document.getElementById("qr-problems");
const source = document.getElementById("qr-source");
const confirmButton = document.getElementById("qr-confirm");
const cancelButton = document.getElementById("qr-cancel");

let hooks = { changed() {}, confirmed() {}, failed() {}, busy() {} };
let queue = Promise.resolve();
let answer = null; // settles the open confirmation: answer(true) uses the card's data

export function setupApplicant(given) {
  hooks = { ...hooks, ...given };
  for (const name of FIELDS) {
    const input = document.getElementById(name);
    input.addEventListener("input", () => {
      input.removeAttribute("aria-invalid");
      hooks.changed();
    });
  }
  document.getElementById("applicant").addEventListener("submit", (event) => event.preventDefault());
  qr.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const payload = qr.value.trim();
    if (payload) readPayload(payload);
  });
  imageButton.addEventListener("click", () => imageInput.click());
  imageInput.addEventListener("change", () => {
    const file = imageInput.files[0];
    imageInput.value = "";
    if (file) readImage(file);
  });
  confirmButton.addEventListener("click", () => answer && answer(true));
  cancelButton.addEventListener("click", () => answer && answer(false));
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: answered here, closed by `answer`
    if (answer) answer(false);
  });
  dialog.addEventListener("close", () => answer && answer(false)); // closed some other way
}

export function focusQr() {
  qr.focus();
  qr.select();
}

export function applicantValues() {
  const values = {};
  for (const name of FIELDS) values[name] = document.getElementById(name).value.trim();
  return values;
}

/** The applicant as the API takes it: empty fields left out. */
export function applicantForApi() {
  const values = {};
  for (const [name, value] of Object.entries(applicantValues())) if (value) values[name] = value;
  return values;
}

export function setApplicant(values) {
  for (const name of FIELDS) {
    const input = document.getElementById(name);
    input.value = (values && values[name]) || "";
    input.removeAttribute("aria-invalid");
  }
}

/** A 422's refused values: their fields are marked and the first one focused. */
export function markInvalid(error) {
  const items = (error.body && error.body.errors) || [];
  let first = null;
  for (const item of items) {
    const name = (item.loc || []).find((part) => FIELDS.includes(part));
    if (!name) continue;
    const input = document.getElementById(name);
    input.setAttribute("aria-invalid", "true");
    first = first || input;
  }
  if (first) first.focus();
  return Boolean(first);
}

async function readPayload(payload) {
  hooks.busy("Đang đọc mã QR…");
  try {
    const data = await post("applicant/from-qr", { payload });
    qr.value = "";
    hooks.busy("");
    await offerQr(data, "Đọc từ máy quét mã QR.");
  } catch (error) {
    hooks.busy("");
    hooks.failed(error);
    qr.select(); // the next scan replaces the text
  }
}

async function readImage(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  hooks.busy("Đang tìm mã QR trên ảnh thẻ…");
  try {
    const data = await post("applicant/from-image", form);
    hooks.busy("");
    await offerQr(data, `Đọc từ ảnh thẻ “${file.name}”.`);
  } catch (error) {
    hooks.busy("");
    hooks.failed(error);
    imageButton.focus();
  }
}

/** Show what the card says; resolves true when the clerk confirms (the form is then filled). */
export function offerQr(data, whereFrom) {
  const turn = queue.then(() => ask(data, whereFrom));
  queue = turn.catch(() => false);
  return turn;
}

function ask(data, whereFrom) {
  const before = document.activeElement;
  source.textContent = `${whereFrom} Các ô người nộp sẽ được điền bằng thông tin này.`;
  dataList.replaceChildren(
    ...Object.keys(LABELS)
      .filter((name) => data[name])
      .flatMap((name) => [
        el("dt", { text: LABELS[name] }),
        el("dd", { text: name === "date_of_birth" || name === "issued_on" ? ddmmyyyy(data[name]) : data[name] }),
      ]),
  );
  problems.replaceChildren(
    ...(data.problems || []).map((text) => el("li", { class: "warning" }, el("span", { "aria-hidden": "true", text: "⚠ " }), text)),
  );
  return new Promise((resolve) => {
    // Settled at once (not on the "close" event, which comes a task later and would take the
    // focus back from wherever the clerk has already gone).
    answer = (yes) => {
      answer = null;
      if (dialog.open) dialog.close();
      if (yes) {
        setApplicant({
          ...applicantValues(),
          full_name: data.full_name || "",
          id_number: data.id_number || "",
          date_of_birth: data.date_of_birth ? ddmmyyyy(data.date_of_birth) : "",
          address: data.address || "",
        });
        hooks.changed();
        hooks.confirmed(data);
      } else if (before && before.isConnected && !dialog.contains(before)) {
        before.focus();
      }
      resolve(yes);
    };
    dialog.showModal();
    confirmButton.focus();
  });
}

export function dialogOpen() {
  return dialog.open;
}
