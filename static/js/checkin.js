// The staff scanner page: scan → answer on the full screen; search and tap; walk-ins; undo; live counts; and
// when the network drops, local validation against the saved ticket list with a queue that uploads later.
import { Camera, cameraProblem } from "./checkin-camera.js";
import * as offline from "./checkin-offline.js";

const config = JSON.parse(document.getElementById("checkin-config").textContent);
const T = config.strings;
const eventId = config.event_id;
const urls = config.urls;

const REPEAT_MS = 3000; // a code seen again within this time (e.g. still held up) is the same scan
const ANSWER_MS = { ok: 2000, other: 3500 }; // refusals stay a little longer: someone has to read the reason
const SCAN_TIMEOUT_MS = 4000; // a slow network must not hold up the queue at the door
const STATS_EVERY_MS = 5000;
const TICKETS_EVERY_MS = 180000; // the whole list: only a fallback for when the network drops
const SYNC_EVERY_MS = 15000;
const RETRY_FIRST_MS = 2000;
const DEVICE_KEY = "eventapp.checkin.device";
const HAN = /\p{Script=Han}/u; // a search of one Chinese character (王) is worth running

const $ = (selector) => document.querySelector(selector);
const format = (text, values = {}) => text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));

class NoConnection extends Error {}
class LoggedOut extends Error {}

// navigator.onLine says only that a network is there, not that the server answers (a venue Wi-Fi without internet;
// a page reloaded from the service worker's copy may read "online" with no network at all): the last request decides
// too. The status line and the walk-in form follow connected(); requests are still tried while navigator.onLine,
// which is how the page learns that the server answers again.
let unreachable = false;

function setReachable(yes) {
  if (unreachable === !yes) return;
  unreachable = !yes;
  renderConnection();
  if (yes) uploadQueued();
}

function connected() {
  return navigator.onLine && !unreachable;
}

// ---- this device ---------------------------------------------------------------------------------------------

function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `phone-${crypto.randomUUID().slice(0, 8)}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

function isoNow() {
  // the device's clock with its UTC offset, e.g. 2026-11-23T10:42:05.120+01:00
  const now = new Date();
  const offset = -now.getTimezoneOffset();
  const pad = (n, width = 2) => String(Math.trunc(Math.abs(n))).padStart(width, "0");
  const local = new Date(now.getTime() + offset * 60000).toISOString().slice(0, -1);
  return `${local}${offset >= 0 ? "+" : "-"}${pad(offset / 60)}:${pad(offset % 60)}`;
}

function direction() {
  return document.querySelector('input[name="direction"]:checked')?.value ?? "in";
}

function timeOf(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" })
    .format(new Date(iso));
}

// ---- talking to the server -----------------------------------------------------------------------------------

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

async function refreshCsrfToken() {
  // A page shell served from the offline cache may carry an old token: fetch the page again for a fresh one.
  try {
    const response = await fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
    if (!response.ok || response.redirected) return false;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const token = page.querySelector('meta[name="csrf-token"]')?.content;
    if (!token) return false;
    document.querySelector('meta[name="csrf-token"]').content = token;
    return true;
  } catch {
    return false;
  }
}

async function api(url, { body, timeout = 10000, retried = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body) Object.assign(headers, { "Content-Type": "application/json", "X-CSRFToken": csrfToken() });
  let response;
  try {
    response = await fetch(url, {
      method: body ? "POST" : "GET", headers, credentials: "same-origin", cache: "no-store",
      body: body && JSON.stringify(body), signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    setReachable(false);
    throw new NoConnection(String(error));
  }
  setReachable(true);
  const isJson = (response.headers.get("Content-Type") || "").includes("json");
  const data = isJson ? await response.json().catch(() => null) : null;
  // login_required answers with a redirect to the login page
  if (response.redirected || response.status === 401 || (!isJson && response.ok)) throw new LoggedOut();
  if (response.status === 400 && body && !retried && data?.error === "bad_request" && await refreshCsrfToken()) {
    return api(url, { body, timeout, retried: true });
  }
  if (response.status >= 500 || !data) throw new NoConnection(`HTTP ${response.status}`);
  loggedOut(false);
  if (response.status === 403 && data.error === "not_on_door") await offTheDoor(data.message);
  return { status: response.status, data };
}

async function offTheDoor(message) {
  // An organiser took this staff member off the event's door: say so until the page reloads, and stop keeping
  // the event's ticket list (names, companies) on this phone. Scans waiting to upload stay queued.
  showNotice(message, "error");
  await offline.forgetTicketList(eventId);
  renderTicketListInfo();
}

// ---- counts and connection ------------------------------------------------------------------------------------

// Scans do not carry the counts (counting the whole event on every scan was most of a scan's cost): this phone's
// own check-ins count at once, and the poll of urls.stats brings everyone else's within seconds.
const counts = { checked_in: null, expected: null, walk_ins: null };
let countsChanged = 0; // a poll answer asked for before a change here is out of date

function showCounts(stats) {
  if (!stats) return;
  countsChanged += 1;
  Object.assign(counts, stats);
  renderCounts();
}

function countCheckIn() {
  countsChanged += 1;
  if (counts.checked_in === null) return; // the first poll's answer will include it
  counts.checked_in += 1;
  renderCounts();
}

function renderCounts() {
  if (counts.checked_in === null) return;
  $("#count-checked-in").textContent = format(T.checked_in_of, { checked: counts.checked_in, expected: counts.expected });
  $("#count-walk-ins").textContent = format(counts.walk_ins === 1 ? T.walk_ins_one : T.walk_ins_many,
    { count: counts.walk_ins });
}

async function refreshStats() {
  if (!navigator.onLine) return;
  try {
    const asked = countsChanged;
    const { status, data } = await api(urls.stats);
    if (status !== 200) return;
    if (asked === countsChanged) showCounts(data);
    else refreshStats(); // a scan was answered meanwhile: this answer may not include it
  } catch (error) {
    if (!(error instanceof NoConnection || error instanceof LoggedOut)) throw error;
  }
}

let uploading = 0;

async function renderConnection() {
  const waiting = await offline.countQueued(eventId);
  let text;
  if (!connected()) {
    text = waiting === 0 ? T.offline_none : format(waiting === 1 ? T.offline_one : T.offline_many, { count: waiting });
  } else if (uploading) {
    text = format(T.uploading, { count: uploading });
  } else if (waiting) {
    text = format(waiting === 1 ? T.online_waiting_one : T.online_waiting_many, { count: waiting });
  } else {
    text = T.online;
  }
  const status = $("#connection");
  status.textContent = text;
  status.classList.toggle("is-offline", !connected());
  $("#walk-in-offline").hidden = connected();
  $("#walk-in-form fieldset").disabled = !connected();
}

function loggedOut(yes) {
  $("#logged-out").hidden = !yes;
}

// ---- the offline ticket list and the queue ---------------------------------------------------------------------

async function refreshTicketList() {
  if (!navigator.onLine) return;
  try {
    const { status, data } = await api(urls.tickets, { timeout: 30000 });
    if (status === 200) await offline.saveTicketList(eventId, data);
  } catch (error) {
    if (!(error instanceof NoConnection || error instanceof LoggedOut)) throw error;
  }
  await renderTicketListInfo();
}

async function renderTicketListInfo() {
  const info = await offline.ticketListInfo(eventId);
  $("#ticket-list").textContent = info
    ? format(info.count === 1 ? T.tickets_saved_one : T.tickets_saved_many,
      { count: info.count, time: timeOf(info.generated_at) })
    : T.tickets_not_saved;
  document.body.dataset.ticketsSaved = info ? String(info.count) : "";
}

// The ticket list carries the server's answer for each ticket (ok, or why not: the rules of the online scan);
// this phone adds only what it saw itself: a ticket checked in already, an exit scan.
function localAnswer(ticket, scanDirection) {
  if (!ticket) return { status: "invalid", message: T.local.invalid };
  let { status, message } = ticket.answer;
  if (status === "ok") {
    if (scanDirection === "out") status = "checked_out";
    else if (ticket.checked_in) status = "already_checked_in";
    message = T.local[status];
  }
  return {
    status, message, checked_in_at: null, checked_in_by: null,
    attendee: { name: ticket.name, company: ticket.company, job_title: ticket.job_title, ticket_type: "" },
  };
}

async function redeemOffline(scan) {
  const h = await offline.sha256Hex(scan.secret);
  const answer = localAnswer(await offline.findTicket(eventId, h), scan.direction);
  await offline.queueScan({
    ...scan, event_id: eventId, h, local_status: answer.status, name: answer.attendee?.name ?? "",
  });
  if (answer.status === "ok") {
    await offline.markCheckedIn(eventId, h);
    countCheckIn();
  }
  renderConnection();
  return { ...answer, offline: true };
}

let syncing = false;
let retryTimer;
let retryDelay = RETRY_FIRST_MS;

async function uploadQueued() {
  if (syncing || !navigator.onLine) return;
  const scans = await offline.queuedScans(eventId);
  if (!scans.length) return;
  syncing = true;
  const surprises = [];
  let uploaded = 0;
  try {
    for (let start = 0; start < scans.length; start += config.max_sync) {
      const batch = scans.slice(start, start + config.max_sync);
      uploading = batch.length;
      renderConnection();
      const upload = batch.map(({ secret, nonce, scanned_at, device_id, direction }) =>
        ({ secret, nonce, scanned_at, device_id, direction }));
      const { status, data } = await api(urls.sync, { body: { scans: upload }, timeout: 60000 });
      if (status !== 200) {
        showNotice(data.message, "error");
        break;
      }
      // Every scan the server answered is done with, also one it refused as malformed (sending it again would
      // not change that); a scan it did not mention stays queued.
      const sent = new Map(batch.map((scan) => [scan.nonce, scan]));
      const answered = data.results.filter((result) => sent.has(result.nonce));
      answered.forEach(warnAboutClock);
      await offline.forgetScans(answered.map((result) => result.nonce));
      uploaded += answered.length;
      for (const result of answered) {
        const scan = sent.get(result.nonce);
        if (result.status !== scan.local_status) {
          surprises.push({ ...result, attendee: result.attendee ?? { name: scan.name } });
        }
      }
      showCounts(data.stats);
    }
    retryDelay = RETRY_FIRST_MS;
  } catch (error) {
    if (error instanceof LoggedOut) loggedOut(true);
    else if (!(error instanceof NoConnection)) throw error;
    else if (navigator.onLine) {
      // "online" often comes before the network really works (Wi-Fi rejoining): try again soon, then less often
      clearTimeout(retryTimer);
      retryTimer = setTimeout(uploadQueued, retryDelay);
      retryDelay = Math.min(retryDelay * 2, SYNC_EVERY_MS);
    }
  } finally {
    syncing = false;
    uploading = 0;
    renderConnection();
  }
  if (uploaded) {
    showSyncReport(uploaded, surprises);
    refreshTicketList();
  }
}

function showSyncReport(uploaded, surprises) {
  const notice = $("#sync-report");
  notice.replaceChildren();
  const summary = document.createElement("p");
  summary.textContent = format(uploaded === 1 ? T.uploaded_one : T.uploaded_many, { count: uploaded });
  notice.append(summary);
  if (surprises.length) {
    const intro = document.createElement("p");
    intro.textContent = T.uploaded_differs;
    const list = document.createElement("ul");
    for (const result of surprises) {
      const item = document.createElement("li");
      item.textContent = [result.attendee?.name, T.titles[result.status] ?? result.status, result.message]
        .filter(Boolean).join(" — ");
      list.append(item);
    }
    notice.append(intro, list);
  }
  notice.hidden = false;
}

// ---- the answer on the full screen ------------------------------------------------------------------------------

const TONES = { ok: "ok", already_checked_in: "warn", checked_out: "info", undone: "info" };
let answerTimer;
let audio;

function tone(status) {
  return TONES[status] ?? "bad";
}

function unlockAudio() {
  // Phones start audio only after a tap; any tap on the page will do.
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume();
  } catch {
    audio = null;
  }
}

function beep(kind) {
  if (!audio || audio.state !== "running") return;
  // [frequency Hz, start s, length s]: one high beep for yes, two for "already", a low buzz for no
  const notes = {
    ok: [[880, 0, 0.12]], warn: [[660, 0, 0.1], [660, 0.16, 0.1]], bad: [[220, 0, 0.45]], info: [[520, 0, 0.12]],
  }[kind];
  for (const [frequency, start, length] of notes) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = kind === "bad" ? "square" : "sine";
    oscillator.frequency.value = frequency;
    const at = audio.currentTime + start;
    gain.gain.setValueAtTime(0.25, at);
    gain.gain.exponentialRampToValueAtTime(0.001, at + length);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + length);
  }
}

function buzz(kind) {
  const pattern = { ok: [60], warn: [80, 60, 80], bad: [300], info: [60] }[kind];
  try {
    navigator.vibrate?.(pattern);
  } catch { /* not on this device */ }
}

function whenAndBy(answer) {
  const parts = [];
  if (answer.status !== "already_checked_in") return "";
  if (answer.checked_in_at) parts.push(format(T.at_time, { time: timeOf(answer.checked_in_at) }));
  const by = answer.checked_in_by;
  if (by) {
    const who = [by.staff, by.device_id === deviceId() ? T.this_device : by.device_id].filter(Boolean).join(", ");
    if (who) parts.push(format(T.by, { who }));
  }
  return parts.join(" ");
}

function showAnswer(answer) {
  const kind = tone(answer.status);
  const panel = $("#answer");
  const title = T.titles[answer.status] ?? T.titles.error;
  const person = answer.attendee ?? {};
  const fill = (selector, text) => {
    const element = panel.querySelector(selector);
    element.textContent = text || "";
    element.hidden = !text;
  };
  panel.className = `answer answer-${kind}`;
  fill(".answer-title", title);
  fill(".answer-name", person.name);
  fill(".answer-company", person.job_title && person.company
    ? format(T.title_at_company, { title: person.job_title, company: person.company })
    : person.job_title || person.company);
  fill(".answer-ticket", person.ticket_type);
  const when = whenAndBy(answer);
  fill(".answer-when", when);
  // the server's sentence, unless it only repeats the title or the time already shown (in this phone's time zone)
  const repeats = answer.message === title || (when && answer.status === "already_checked_in");
  fill(".answer-message", repeats ? "" : answer.message);
  fill(".answer-offline", answer.offline ? T.saved_offline : "");
  warnAboutClock(answer);
  panel.hidden = false;
  beep(kind);
  buzz(kind);
  clearTimeout(answerTimer);
  answerTimer = setTimeout(hideAnswer, answer.status === "ok" ? ANSWER_MS.ok : ANSWER_MS.other);
  addToRecent(answer, title);
}

function hideAnswer() {
  clearTimeout(answerTimer);
  $("#answer").hidden = true;
}

function addToRecent(answer, title) {
  const list = $("#recent-list");
  const item = document.createElement("li");
  item.className = `recent-${tone(answer.status)}`;
  item.textContent = [timeOf(new Date().toISOString()), title, answer.attendee?.name].filter(Boolean).join(" · ");
  list.prepend(item);
  while (list.children.length > 5) list.lastElementChild.remove();
  $("#recent").hidden = false;
}

// The server did not believe this phone's time of scan (recorded when it arrived instead): the notice stays up
// until the page reloads, since a wrong clock stays wrong.
function warnAboutClock(answer) {
  if (answer.clock_warning) showNotice(answer.clock_warning, "error");
}

function showNotice(message, kind = "info") {
  const notice = $("#notice");
  notice.textContent = message;
  notice.className = `notice notice-${kind}`;
  notice.hidden = !message;
}

// ---- scanning ------------------------------------------------------------------------------------------------

const lastSeen = new Map(); // decoded text → when the camera last saw it

function onCode(text) {
  const now = performance.now();
  const previous = lastSeen.get(text);
  lastSeen.set(text, now);
  if (previous !== undefined && now - previous < REPEAT_MS) return;
  for (const [code, seen] of lastSeen) if (now - seen > 60000) lastSeen.delete(code);
  redeemScan(text);
}

async function send(url, body, { timeout } = {}) {
  // One answer for a scan or a tap: the server's, or null when it could not be reached
  try {
    return await api(url, { body, timeout });
  } catch (error) {
    if (error instanceof LoggedOut) loggedOut(true);
    else if (!(error instanceof NoConnection)) throw error;
    return null;
  }
}

async function redeemScan(secret) {
  const scan = { secret, nonce: crypto.randomUUID(), scanned_at: isoNow(), device_id: deviceId(), direction: direction() };
  const reply = navigator.onLine ? await send(urls.redeem, scan, { timeout: SCAN_TIMEOUT_MS }) : null;
  if (reply === null) {
    // Not delivered (or no answer came back): decide here and upload later. Should the server have got it after
    // all, the upload repeats the nonce and gets the first answer back.
    showAnswer(await redeemOffline(scan));
    return;
  }
  const { status, data } = reply;
  if (status !== 200) {
    showAnswer({ status: "error", message: data.message });
    return;
  }
  if (data.status === "ok") countCheckIn();
  showAnswer(data);
  if (data.status === "ok") offline.markCheckedIn(eventId, await offline.sha256Hex(secret));
}

let camera;

async function startCamera() {
  const button = $("#camera-toggle");
  $("#camera-problem").hidden = true;
  $("#camera").classList.remove("is-off");
  try {
    await camera.start();
    button.textContent = T.camera_pause;
  } catch (error) {
    camera.stop();
    $("#camera").classList.add("is-off");
    const problem = $("#camera-problem");
    problem.textContent = T.camera_problems[cameraProblem(error)];
    problem.hidden = false;
    button.textContent = T.camera_start;
    console.warn("camera", error);
  }
}

function stopCamera() {
  camera.stop();
  $("#camera").classList.add("is-off");
  $("#camera-toggle").textContent = T.camera_start;
}

// ---- search and tap ------------------------------------------------------------------------------------------

let searchTimer;
let searchRun = 0;

async function runSearch() {
  const query = $("#search-q").value.trim();
  const run = ++searchRun;
  const list = $("#search-results");
  const note = $("#search-note");
  if (query.length < 2 && !HAN.test(query)) { // as the server's worth_searching: one Chinese character is enough
    list.replaceChildren();
    note.hidden = true;
    return;
  }
  let results;
  let local = false;
  const reply = navigator.onLine ? await send(`${urls.search}?${new URLSearchParams({ q: query })}`) : null;
  if (reply && reply.status === 200) {
    results = reply.data.results;
  } else {
    local = true;
    results = (await offline.searchTickets(eventId, query)).map((ticket) => ({ ...ticket, registration_id: null }));
  }
  if (run !== searchRun) return; // a newer search has started
  note.textContent = local ? T.search_offline : (results.length ? "" : T.search_nobody);
  note.hidden = !note.textContent;
  list.replaceChildren(...results.map(searchResult));
}

function searchResult(person) {
  const item = document.createElement("li");
  const who = document.createElement("p");
  const name = document.createElement("strong");
  name.textContent = person.name;
  who.append(name);
  const details = document.createElement("p");
  details.className = "hint";
  details.textContent = [person.company, person.email, person.phone, T.statuses[person.status] ?? person.status]
    .filter(Boolean).join(" · ");
  item.append(who, details);
  if (person.checked_in) {
    const done = document.createElement("p");
    done.className = "checked";
    done.textContent = T.already_in;
    item.append(done);
  } else if (person.registration_id !== null) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "primary";
    button.textContent = T.check_in;
    button.setAttribute("aria-label", `${T.check_in}: ${person.name}`);
    button.addEventListener("click", () => checkInByTap(person, button));
    item.append(button);
  }
  return item;
}

function registrationUrl(id) {
  // the server gives the address with 0 in place of the registration id
  const template = urls.checkin_registration;
  const at = template.lastIndexOf("/0/");
  return `${template.slice(0, at)}/${id}/${template.slice(at + 3)}`;
}

async function checkInByTap(person, button) {
  button.disabled = true;
  const body = { nonce: crypto.randomUUID(), device_id: deviceId(), scanned_at: isoNow(), direction: direction() };
  const reply = await send(registrationUrl(person.registration_id), body);
  button.disabled = false;
  if (reply === null) {
    showNotice(T.needs_connection_tap, "error");
    return;
  }
  if (reply.status !== 200) {
    showAnswer({ status: "error", message: reply.data.message });
    return;
  }
  if (reply.data.status === "ok") countCheckIn();
  showAnswer(reply.data);
  runSearch();
}

// ---- walk-ins ------------------------------------------------------------------------------------------------

function clearFieldErrors(form) {
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", input.dataset.describedby ?? "");
    if (!input.getAttribute("aria-describedby")) input.removeAttribute("aria-describedby");
  }
  for (const error of form.querySelectorAll(".error")) error.remove();
  for (const field of form.querySelectorAll(".has-error")) field.classList.remove("has-error");
}

function showFieldErrors(form, fields) {
  let first = null;
  for (const [name, message] of Object.entries(fields)) {
    const input = form.elements[name];
    if (!input) continue;
    const error = document.createElement("p");
    error.className = "error";
    error.id = `${input.id}-error`;
    error.textContent = message;
    input.closest(".field").classList.add("has-error");
    input.after(error);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), error.id].filter(Boolean).join(" "));
    first ??= input;
  }
  first?.focus();
}

async function submitWalkIn(event) {
  event.preventDefault();
  const form = event.target;
  clearFieldErrors(form);
  const body = Object.fromEntries(new FormData(form));
  Object.assign(body, { nonce: crypto.randomUUID(), device_id: deviceId(), scanned_at: isoNow() });
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const reply = await send(urls.walk_in, body);
  button.disabled = false;
  const alert = $("#walk-in-alert");
  if (reply === null) {
    alert.textContent = T.needs_connection_walk_in;
    alert.hidden = false;
    return;
  }
  if (reply.status === 422) {
    alert.textContent = reply.data.message;
    alert.hidden = false;
    showFieldErrors(form, reply.data.fields ?? {});
    return;
  }
  if (reply.status !== 200) {
    alert.textContent = reply.data.message;
    alert.hidden = false;
    return;
  }
  alert.hidden = true;
  form.reset();
  $("#walk-in").open = false;
  showCounts(reply.data.stats);
  showAnswer(reply.data);
  refreshTicketList();
}

// ---- undo ------------------------------------------------------------------------------------------------------

async function submitUndo(event) {
  event.preventDefault();
  const dialog = $("#undo-dialog");
  const form = event.target;
  if (event.submitter?.value === "cancel") {
    dialog.close();
    return;
  }
  const reason = form.elements.reason.value.trim();
  const error = $("#undo-reason-error");
  if (!reason) {
    error.textContent = T.undo_reason_missing;
    error.hidden = false;
    form.elements.reason.setAttribute("aria-invalid", "true");
    form.elements.reason.focus();
    return;
  }
  const reply = await send(urls.undo, { device_id: deviceId(), reason });
  if (reply === null) {
    error.textContent = T.needs_connection_undo;
    error.hidden = false;
    return;
  }
  dialog.close();
  form.reset();
  if (reply.status === 200) {
    showCounts(reply.data.stats);
    showAnswer(reply.data);
    refreshTicketList();
  } else {
    showAnswer({ status: reply.data.error ?? "error", message: reply.data.message });
  }
}

function openUndo() {
  const form = $("#undo-form");
  form.reset();
  form.elements.reason.removeAttribute("aria-invalid");
  $("#undo-reason-error").hidden = true;
  $("#undo-dialog").showModal();
}

// ---- device name -------------------------------------------------------------------------------------------

function setUpDeviceName() {
  const input = $("#device-name");
  input.value = deviceId();
  input.addEventListener("change", () => {
    const name = input.value.trim().slice(0, 64);
    if (name) localStorage.setItem(DEVICE_KEY, name);
    input.value = deviceId();
  });
}

// ---- offline shell -----------------------------------------------------------------------------------------

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || !config.service_worker) return;
  try {
    await navigator.serviceWorker.register(config.service_worker.url, { scope: config.service_worker.scope });
    const registration = await navigator.serviceWorker.ready;
    // Pages loaded before the worker took over were not seen by it: ask it to keep this page and its files.
    registration.active?.postMessage({ type: "keep", urls: [location.href, ...config.service_worker.shell] });
  } catch (error) {
    console.warn("service worker", error);
  }
}

// ---- start ---------------------------------------------------------------------------------------------------

function start() {
  camera = new Camera($("#camera video"), config.worker_url, onCode);
  $("#camera-toggle").addEventListener("click", () => (camera.running ? stopCamera() : startCamera()));
  document.addEventListener("visibilitychange", () => {
    // a locked phone must not keep the camera on; it comes back with the page
    if (document.hidden && camera.running) {
      stopCamera();
      camera.resumeOnShow = true;
    } else if (!document.hidden && camera.resumeOnShow) {
      camera.resumeOnShow = false;
      startCamera();
      refreshStats();
    }
  });

  $("#answer").addEventListener("click", hideAnswer);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hideAnswer();
  });
  document.addEventListener("pointerdown", unlockAudio, { capture: true });
  document.addEventListener("keydown", unlockAudio, { capture: true });

  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    runSearch();
  });
  $("#search-q").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });
  $("#walk-in-form").addEventListener("submit", submitWalkIn);
  $("#undo-open").addEventListener("click", openUndo);
  $("#undo-form").addEventListener("submit", submitUndo);
  setUpDeviceName();

  window.addEventListener("online", () => {
    renderConnection();
    uploadQueued().then(refreshStats);
  });
  window.addEventListener("offline", renderConnection);
  setInterval(() => document.hidden || refreshStats(), STATS_EVERY_MS);
  setInterval(refreshTicketList, TICKETS_EVERY_MS);
  setInterval(uploadQueued, SYNC_EVERY_MS);

  renderConnection();
  renderTicketListInfo();
  startCamera();
  refreshStats();
  uploadQueued().then(refreshTicketList);
  registerServiceWorker();
}

start();
