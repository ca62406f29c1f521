// The reviewer's screen "Kiểm tra hồ sơ": /kiem-tra (the queue) and /kiem-tra/{code} (one
// dossier), one page. Same session, cookie and CSRF rules as the counter screen (api.js).

import { del, openSession, setCsrfToken, whenSignedOut } from "./api.js";
import { showDossier, leaveDossier } from "./review-dossier.js";
import { showQueue } from "./review-queue.js";

const REVIEW_ROLES = new Set(["reviewer", "supervisor", "admin"]);
const $ = (id) => document.getElementById(id);

let session = null;

function signIn(reasonWord) {
  const query = new URLSearchParams({ next: location.pathname + location.search });
  if (reasonWord) query.set("reason", reasonWord);
  if (session) query.set("user", session.username);
  location.assign(`/signin?${query}`);
}

async function signOut() {
  await leaveDossier();
  try {
    await del("session");
  } catch (error) {
    if (error.status !== 401) {
      const where = $("queue-view").hidden ? $("message") : $("queue-message");
      where.textContent = error.message;
      where.hidden = false;
      return;
    }
  }
  location.assign("/signin?reason=signedout");
}

async function boot() {
  whenSignedOut((error) => signIn(error.code === "SESSION_EXPIRED" ? "expired" : ""));
  try {
    session = await openSession();
  } catch (error) {
    if (error.status !== 401) {
      $("queue-message").textContent = error.message;
      $("queue-view").hidden = false;
    }
    return;
  }
  if (!REVIEW_ROLES.has(session.role)) {
    location.replace("/quay"); // a counter's screen is the counter
    return;
  }
  setCsrfToken(session.csrf_token);
  $("who").textContent = session.full_name || session.username;
  $("signout").addEventListener("click", signOut);
  const opened = /^\/kiem-tra\/([^/]+)$/.exec(location.pathname);
  if (opened) await showDossier(decodeURIComponent(opened[1]), session);
  else await showQueue();
  document.body.classList.add("ready");
}

boot();
