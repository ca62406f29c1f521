// The JSON API from the screens: same origin, the session cookie, the CSRF token on every
// state-changing request, errors as {code, message (Vietnamese), message_en}.

export const API = "/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const OFFLINE = "Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại; những gì đã nhập vẫn được giữ.";

let csrfToken = "";
let onSignedOut = null;
let idleMs = 30 * 60 * 1000;
let lastInput = Date.now();
for (const name of ["keydown", "pointerdown", "input", "drop", "wheel"]) {
  window.addEventListener(name, () => (lastInput = Date.now()), { capture: true, passive: true });
}

/** The session's idle window, from GET /session: its expiry less the server's own time. */
function setIdleWindow(session, response) {
  const serverNow = Date.parse(response.headers.get("Date") || "") || Date.now();
  const left = Date.parse(session.expires_at) - serverNow;
  if (left > 0) idleMs = Math.max(left, 1000);
}

/**
 * Whether the clerk used the screen lately. Background polls (new pages, reading progress) run
 * only then: every request keeps the session alive, and an unattended screen must be signed out
 * when its idle time is up.
 */
export function clerkActive() {
  return Date.now() - lastInput < idleMs * 0.8;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Lỗi máy chủ (${status}).`);
    this.status = status;
    this.code = (body && body.code) || "";
    this.body = body || {};
  }
}

export function setCsrfToken(token) {
  csrfToken = token || "";
}

/** Called with the error when the session has ended (401): the screen saves its work and signs in again. */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * fetch + JSON. `body`: an object (sent as JSON) or FormData. Options: headers, signedOutOk (a 401
 * is the caller's business, e.g. the sign-in form), raw (return the Response).
 */
export async function call(method, path, body = undefined, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
      method,
      headers,
      body: payload,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, { code: "OFFLINE", message: OFFLINE });
  }
  if (response.status === 401 && !options.signedOutOk) {
    const error = new ApiError(401, await readJson(response));
    if (onSignedOut) onSignedOut(error);
    throw error;
  }
  if (!response.ok) throw new ApiError(response.status, await readJson(response));
  if (options.raw) return response;
  if (response.status === 204) return null;
  return readJson(response);
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** The signed-in session (GET /session), its idle window set; throws the API's error (401 when
 *  signed out). Every screen starts with it. */
export async function openSession() {
  const response = await call("GET", "session", undefined, { raw: true });
  const session = await response.json();
  setIdleWindow(session, response);
  return session;
}

export const get = (path, options) => call("GET", path, undefined, options);
export const post = (path, body, options) => call("POST", path, body, options);
export const put = (path, body, options) => call("PUT", path, body, options);
export const patch = (path, body, options) => call("PATCH", path, body, options);
export const del = (path, options) => call("DELETE", path, undefined, options);

/** A local path to go back to after signing in (never another site). */
export function safeNext(value) {
  return typeof value === "string" && /^\/[a-z]/.test(value) && !value.startsWith("//") ? value : "/quay";
}

/** Print a PDF of the API (the receipt, form 02) from the hidden frame `frame`: one action for
 *  the user; `after` runs once the print dialog is done. Throws the API's error. */
export async function printFromFrame(url, frame, after) {
  const response = await call("GET", url, undefined, { raw: true, headers: { Accept: "application/pdf" } });
  const blob = await response.blob();
  const old = frame.src;
  frame.onload = () => {
    try {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    } catch {
      // the visible link prints it too
    }
    after();
  };
  frame.src = URL.createObjectURL(blob);
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
}
