// Sign-in: username + password -> POST /api/v1/session (the cookie is set by the server), then
// back to the screen the clerk came from, or to the screen of the account's role: a counter's
// "Tiếp nhận hồ sơ" (/quay), a reviewer's "Kiểm tra hồ sơ" (/kiem-tra), a center leader's (supervisor)
// "Bảng chỉ số" (/bang-chi-so).

import { ApiError, get, post, safeNext } from "./api.js";

const params = new URLSearchParams(location.search);
const asked = params.get("next");
const SCREENS = [
  ["/quay", new Set(["counter"])],
  ["/kiem-tra", new Set(["reviewer", "supervisor", "admin"])],
  ["/bang-chi-so", new Set(["supervisor", "admin"])],
];

/** Where to go once signed in: the page asked for when it is the role's screen, else the role's. */
function destination(role) {
  const home = role === "counter" ? "/quay" : role === "supervisor" ? "/bang-chi-so" : "/kiem-tra";
  if (!asked) return home;
  const next = safeNext(asked);
  const under = (path) => next === path || (next.startsWith(path) && /^[/?]/.test(next.slice(path.length)));
  const screen = SCREENS.find(([path]) => under(path));
  return screen && !screen[1].has(role) ? home : next;
}
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
    const session = await post(
      "session",
      { username: username.value.trim(), password: password.value },
      { signedOutOk: true },
    );
    location.replace(destination(session.role));
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
    .then((session) => location.replace(destination(session.role)))
    .catch(() => {});
}
