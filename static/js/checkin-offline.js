// What the scanner keeps on the phone for when the venue network drops: the event's ticket list (hashed secrets,
// names, statuses) to validate scans locally, and the queue of scans still to upload. Both live in IndexedDB.

const DB_NAME = "eventapp-checkin";
const DB_VERSION = 1;

let opening;

function database() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      // tickets: one row per (event, hashed secret); queue: one row per scan not uploaded yet
      const tickets = db.createObjectStore("tickets", { keyPath: ["event_id", "h"] });
      tickets.createIndex("event", "event_id");
      const queue = db.createObjectStore("queue", { keyPath: "nonce" });
      queue.createIndex("event", "event_id");
      db.createObjectStore("lists", { keyPath: "event_id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function finished(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

async function store(name, mode = "readonly") {
  const db = await database();
  return db.transaction(name, mode).objectStore(name);
}

export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// ---- the ticket list ---------------------------------------------------------------------------------------

export async function saveTicketList(eventId, list) {
  // A fresh list replaces the old one whole (cancelled people must not stay valid), but keeps what this phone
  // checked in offline and has not uploaded yet.
  const pending = new Set((await queuedScans(eventId)).filter((scan) => scan.local_status === "ok").map((scan) => scan.h));
  const db = await database();
  const transaction = db.transaction(["tickets", "lists"], "readwrite");
  const tickets = transaction.objectStore("tickets");
  tickets.delete(IDBKeyRange.bound([eventId, ""], [eventId, "\uffff"]));
  for (const ticket of list.tickets) {
    tickets.put({ ...ticket, event_id: eventId, checked_in: ticket.checked_in || pending.has(ticket.h) });
  }
  transaction.objectStore("lists").put({ event_id: eventId, generated_at: list.generated_at, count: list.tickets.length });
  await finished(transaction);
}

export async function forgetTicketList(eventId) {
  const db = await database();
  const transaction = db.transaction(["tickets", "lists"], "readwrite");
  transaction.objectStore("tickets").delete(IDBKeyRange.bound([eventId, ""], [eventId, "\uffff"]));
  transaction.objectStore("lists").delete(eventId);
  await finished(transaction);
}

export async function ticketListInfo(eventId) {
  return done((await store("lists")).get(eventId));
}

export async function findTicket(eventId, hash) {
  return done((await store("tickets")).get([eventId, hash]));
}

export async function markCheckedIn(eventId, hash, checkedIn = true) {
  const tickets = await store("tickets", "readwrite");
  const ticket = await done(tickets.get([eventId, hash]));
  if (ticket && ticket.checked_in !== checkedIn) {
    ticket.checked_in = checkedIn;
    await done(tickets.put(ticket));
  }
}

// Folded as the server folds a search key (contacts/search.py fold): full-width forms made plain, lower case.
function fold(text) {
  return text.normalize("NFKC").toLowerCase();
}

export async function searchTickets(eventId, query, limit = 20) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const all = await done((await store("tickets")).index("event").getAll(eventId));
  return all.filter((ticket) => {
    // k: the server's search key of the name and company (both orders, pinyin); a list saved before it had none
    const text = ticket.k ?? fold(`${ticket.name} ${ticket.company}`);
    return words.every((word) => text.includes(word));
  }).slice(0, limit);
}

// ---- scans waiting for the network -------------------------------------------------------------------------

export async function queueScan(scan) {
  await done((await store("queue", "readwrite")).put(scan));
}

export async function queuedScans(eventId) {
  const scans = await done((await store("queue")).index("event").getAll(eventId));
  return scans.sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
}

export async function countQueued(eventId) {
  return done((await store("queue")).index("event").count(eventId));
}

export async function forgetScans(nonces) {
  const db = await database();
  const transaction = db.transaction("queue", "readwrite");
  for (const nonce of nonces) transaction.objectStore("queue").delete(nonce);
  await finished(transaction);
}
