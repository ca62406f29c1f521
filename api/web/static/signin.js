// Sign-in: username + password -> POST /api/v1/session (the cookie is set by the server), then
// back to the screen the clerk came from.

import { ApiError, get, post, safeNext } from "./api.js";

const params = new URLSearchParams(location.search);
const next = safeNext(params.get("next"));
const form = document.getElementById("signin-form");
const errorBox = document.getElementById("signin-error");
const note = document.getElementById("signin-note");
const button = document.getElementById("signin-submit");
const username = document.getElementById("username");
const password = document.getElementById("password");

const NOTES = {
  expired: "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại; những gì đã nhập trên màn hình vẫn được giữ.",
  signedout: "Đã đăng xuất.",
};
note.textContent = NOTES[params.get("reason")] || "";
if (params.get("user")) {
  username.value = params.get("user");
  password.focus(); // the name is known: the password is what is missing
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  if (!username.value.trim()) {
    showError("Nhập tên đăng nhập.");
    username.focus();
    return;
  }
  if (!password.value) {
    showError("Nhập mật khẩu.");
    password.focus();
    return;
  }
  button.disabled = true;
  button.textContent = "Đang đăng nhập…";
  try {
    await post("session", { username: username.value.trim(), password: password.value }, { signedOutOk: true });
    location.replace(next);
  } catch (error) {
    const message = error instanceof ApiError ? error.message : String(error);
    showError(message);
    password.value = "";
    password.focus();
  } finally {
    button.disabled = false;
    button.textContent = "Đăng nhập";
  }
});

// Already signed in (another tab): straight to the work.
if (!params.get("reason")) {
  get("session", { signedOutOk: true })
    .then(() => location.replace(next))
    .catch(() => {});
}
